package dev.metering.edge.proxy;

import java.util.Locale;

import dev.metering.edge.auth.AuthResult;
import dev.metering.edge.auth.CallerAuth;
import dev.metering.edge.http.ErrorResponses;
import dev.metering.edge.spool.SpoolFullException;
import dev.metering.quota.Decision;
import dev.metering.quota.Reservation;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Admits a {@code /v1/*} request (path, auth, spool capacity) and starts its {@link ProxyCall},
 * or answers the refusal itself. Refused calls never reach the upstream and are not metered.
 */
public final class ProxyRoute {
    private final ProxyContext context;
    private final CallerAuth auth;
    private final QuotaGate quota;

    public ProxyRoute(ProxyContext context, CallerAuth auth, QuotaGate quota) {
        this.context = context;
        this.auth = auth;
        this.quota = quota;
    }

    /** A call that started, or the response refusing it. */
    public sealed interface Admission {
        record Started(ProxyCall call) implements Admission {
        }

        record Refused(FullHttpResponse response) implements Admission {
        }
    }

    /**
     * Takes ownership of {@code request} when the call starts; otherwise the caller still owns it.
     */
    public Admission admit(ChannelHandlerContext ctx, FullHttpRequest request, long receivedNanos, Runnable onDone) {
        if (!safePath(request.uri())) {
            return new Admission.Refused(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST,
                    "invalid_request_error", "Invalid path"));
        }
        AuthResult result = auth.authenticate(request.headers());
        if (result instanceof AuthResult.Refused refused) {
            context.metrics().authFailure();
            return new Admission.Refused(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED,
                    "auth_error", refused.message()));
        }
        try {
            context.recorder().emitter().checkCapacity();
        } catch (SpoolFullException e) {
            context.metrics().spoolFull();
            return new Admission.Refused(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "overloaded_error", "Usage spool is full; try again later"));
        }
        AuthResult.Allowed who = (AuthResult.Allowed) result;
        RequestFacts facts = RequestFacts.parse(request.content());
        Decision decision = quota.admit(who.userId(), facts, request.content().readableBytes());
        if (decision instanceof Decision.Refused refused) {
            context.metrics().quotaRejection(who.userId());
            return new Admission.Refused(ErrorResponses.json(ctx.alloc(), HttpResponseStatus.TOO_MANY_REQUESTS,
                    "{\"type\":\"error\",\"error\":{\"type\":\"quota_exceeded\",\"message\":\"Usage quota exceeded\"},"
                            + "\"quota\":" + QuotaGate.quotaJson(refused) + "}"));
        }
        if (decision instanceof Decision.Unavailable unavailable) {
            return new Admission.Refused(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "overloaded_error", "Quota state unavailable; try again later"));
        }
        Reservation reservation = ((Decision.Allowed) decision).reservation();
        ProxyCall call;
        try {
            call = new ProxyCall(context, ctx, request, who, facts, HttpUtil.isKeepAlive(request), receivedNanos,
                    reservation, onDone);
        } catch (RuntimeException e) {
            quota.cache().release(reservation);
            throw e;
        }
        call.start();
        return new Admission.Started(call);
    }

    /**
     * An origin-form path under {@code /v1} with no dot segments (raw or percent-encoded) and no
     * backslashes, so the upstream path is always the one the caller named under the base URL.
     */
    static boolean safePath(String uri) {
        if (!uri.startsWith("/v1/") && !uri.equals("/v1") && !uri.startsWith("/v1?")) {
            return false;
        }
        int q = uri.indexOf('?');
        String path = (q < 0 ? uri : uri.substring(0, q)).toLowerCase(Locale.ROOT);
        if (path.contains("\\") || path.contains("%5c") || path.contains("%2f") || path.contains("//")) {
            return false;
        }
        String decodedDots = path.replace("%2e", ".");
        for (String segment : decodedDots.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return uri.chars().noneMatch(c -> c <= 0x20 || c == 0x7f);
    }
}

package dev.metering.consumer.admin;

import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.metering.consumer.db.QuotaStore;
import dev.metering.consumer.db.UsageQueries;
import dev.metering.model.key.AdminToken;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The admin API (SPEC §5): {@code GET /usage/summary}, {@code GET /usage/{userId}},
 * {@code POST /quotas/{userId}}, behind the admin bearer token; plus {@code /health} and
 * {@code /metrics}. Runs on a blocking executor, never on an event loop, since it queries
 * PostgreSQL. {@code /usage/summary} is matched before {@code /usage/{userId}}.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    private static final int MAX_USER_ID = 256;

    private final AdminToken token;
    private final UsageQueries usage;
    private final QuotaStore quotas;
    private final Consumer<String> quotaChanged;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier healthy;

    AdminHandler(AdminToken token, UsageQueries usage, QuotaStore quotas, Consumer<String> quotaChanged,
            PrometheusMeterRegistry registry, BooleanSupplier healthy) {
        this.token = token;
        this.usage = usage;
        this.quotas = quotas;
        this.quotaChanged = quotaChanged;
        this.registry = registry;
        this.healthy = healthy;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        FullHttpResponse res;
        try {
            res = route(req);
        } catch (RuntimeException e) {
            log.error("admin request {} {} failed", req.method(), pathOf(req.uri()), e);
            res = error(HttpResponseStatus.SERVICE_UNAVAILABLE, "api_error", "Usage database unavailable");
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private FullHttpResponse route(FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            return error(HttpResponseStatus.BAD_REQUEST, "invalid_request_error", "Malformed HTTP request");
        }
        String path = pathOf(req.uri());
        if (path.equals("/health") && req.method().equals(HttpMethod.GET)) {
            return json(HttpResponseStatus.OK, "{\"status\":\"ok\",\"ingest\":\"" + (healthy.getAsBoolean() ? "up" : "down") + "\"}");
        }
        if (path.equals("/metrics") && req.method().equals(HttpMethod.GET)) {
            return text(registry.scrape());
        }
        boolean usagePath = path.startsWith("/usage/");
        boolean quotaPath = path.startsWith("/quotas/");
        if (!usagePath && !quotaPath) {
            return error(HttpResponseStatus.NOT_FOUND, "not_found_error", "Not found");
        }
        if (!token.allows(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            return error(HttpResponseStatus.UNAUTHORIZED, "auth_error", "Unauthorized");
        }
        if (path.equals("/usage/summary")) {
            return req.method().equals(HttpMethod.GET) ? summary() : methodNotAllowed();
        }
        String user = userId(path.substring(usagePath ? "/usage/".length() : "/quotas/".length()));
        if (user == null) {
            return error(HttpResponseStatus.BAD_REQUEST, "invalid_request_error",
                    "user id must be 1-" + MAX_USER_ID + " characters without '/' or control characters");
        }
        if (usagePath) {
            return req.method().equals(HttpMethod.GET) ? userUsage(user) : methodNotAllowed();
        }
        return req.method().equals(HttpMethod.POST) ? setQuota(user, req.content()) : methodNotAllowed();
    }

    private FullHttpResponse summary() {
        List<UsageQueries.UserSpend> rows = usage.summary();
        StringBuilder sb = new StringBuilder("[");
        for (UsageQueries.UserSpend r : rows) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append("{\"userId\":").append(quote(r.userId())).append(",\"daily\":").append(usd(r.daily()))
                    .append(",\"monthly\":").append(usd(r.monthly())).append(",\"total\":").append(usd(r.total())).append('}');
        }
        return json(HttpResponseStatus.OK, sb.append(']').toString());
    }

    private FullHttpResponse userUsage(String user) {
        UsageQueries.Spend s = usage.user(user);
        return json(HttpResponseStatus.OK, "{\"daily\":" + usd(s.daily()) + ",\"monthly\":" + usd(s.monthly())
                + ",\"total\":" + usd(s.total()) + "}");
    }

    private FullHttpResponse setQuota(String user, ByteBuf body) {
        QuotaStore.Limits limits;
        try {
            limits = QuotaRequest.parse(ByteBufUtil.getBytes(body));
        } catch (QuotaRequest.Invalid e) {
            return error(HttpResponseStatus.BAD_REQUEST, "invalid_request_error", e.getMessage());
        }
        quotas.put(user, limits);
        quotaChanged.accept(user);
        return json(HttpResponseStatus.OK, "{\"ok\":true}");
    }

    private static String userId(String raw) {
        String decoded;
        try {
            decoded = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.isEmpty() || decoded.length() > MAX_USER_ID || decoded.indexOf('/') >= 0
                || decoded.chars().anyMatch(Character::isISOControl)) {
            return null;
        }
        return decoded;
    }

    static String usd(BigDecimal v) {
        BigDecimal x = v == null ? BigDecimal.ZERO : v.stripTrailingZeros();
        return (x.signum() == 0 ? BigDecimal.ZERO : x).toPlainString();
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    private static FullHttpResponse methodNotAllowed() {
        return error(HttpResponseStatus.METHOD_NOT_ALLOWED, "invalid_request_error", "Method not allowed");
    }

    static FullHttpResponse error(HttpResponseStatus status, String type, String message) {
        return json(status, "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":" + quote(message) + "}}");
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        return response(status, "application/json", body);
    }

    private static FullHttpResponse text(String body) {
        return response(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", body);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                io.netty.buffer.Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return res;
    }
}

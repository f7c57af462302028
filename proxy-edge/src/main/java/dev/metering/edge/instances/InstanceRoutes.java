package dev.metering.edge.instances;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import dev.metering.edge.http.ErrorResponses;
import dev.metering.edge.http.OneShotClient;
import dev.metering.model.key.AdminToken;
import dev.metering.model.key.ProxyKeys;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The instance routes kept from the proxy this replaces (SPEC §5.1), all behind the admin token:
 * {@code POST /instances/register}, {@code GET /instances}, {@code DELETE /instances/{handle}}
 * and {@code POST /send/{handle}}, which relays a message to the registered gateway's
 * {@code /api/message} (only ever to a registered URL, with a timeout and a body limit).
 * Registrations go through the compacted instances topic, so every edge routes them.
 */
public final class InstanceRoutes {
    static final int MAX_BODY = 256 * 1024;
    private static final int MAX_RELAY_RESPONSE = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AdminToken token;
    private final InstanceRegistry registry;
    private final Producer<String, byte[]> producer;
    private final String topic;
    private final Duration relayTimeout;
    private final Clock clock;

    public InstanceRoutes(AdminToken token, InstanceRegistry registry, Producer<String, byte[]> producer, String topic,
            Duration relayTimeout, Clock clock) {
        this.token = token;
        this.registry = registry;
        this.producer = producer;
        this.topic = topic;
        this.relayTimeout = relayTimeout;
        this.clock = clock;
    }

    public static boolean matches(String path) {
        return path.equals("/instances") || path.startsWith("/instances/") || path.startsWith("/send/");
    }

    /** Answers {@code request} (taking ownership) through {@code reply}, on the channel's event loop. */
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, String path, Consumer<FullHttpResponse> reply) {
        try {
            if (!token.allows(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                reply.accept(ErrorResponses.error(ctx.alloc(), HttpResponseStatus.UNAUTHORIZED, "auth_error", "Unauthorized"));
                return;
            }
            if (request.content().readableBytes() > MAX_BODY) {
                reply.accept(failure(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body larger than " + MAX_BODY + " bytes"));
                return;
            }
            HttpMethod m = request.method();
            if (path.equals("/instances/register") && m.equals(HttpMethod.POST)) {
                register(ctx, ByteBufUtil.getBytes(request.content()), reply);
            } else if (path.equals("/instances") && m.equals(HttpMethod.GET)) {
                reply.accept(list(ctx));
            } else if (path.startsWith("/instances/") && m.equals(HttpMethod.DELETE)) {
                delete(ctx, path.substring("/instances/".length()), reply);
            } else if (path.startsWith("/send/") && m.equals(HttpMethod.POST)) {
                relay(ctx, path.substring("/send/".length()), ByteBufUtil.getBytes(request.content()), reply);
            } else {
                reply.accept(failure(ctx, HttpResponseStatus.NOT_FOUND, "Not found"));
            }
        } finally {
            request.release();
        }
    }

    private void register(ChannelHandlerContext ctx, byte[] body, Consumer<FullHttpResponse> reply) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST, "body is not JSON"));
            return;
        }
        String handle = n == null ? null : n.path("handle").asText(null);
        if (handle == null || !ProxyKeys.HANDLE.matcher(handle).matches()) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST, "handle must match " + ProxyKeys.HANDLE.pattern()));
            return;
        }
        URI url = gatewayUrl(n.path("gatewayUrl").asText(""));
        if (url == null) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST,
                    "gatewayUrl must be an http URL with a host, such as http://gateway-1:7000"));
            return;
        }
        JsonNode port = n.get("shellPort");
        if (port != null && !port.isNull() && (!port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 65535)) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST, "shellPort must be a port number 1-65535"));
            return;
        }
        Instant now = clock.instant();
        Instant registeredAt = registry.get(handle).map(Instance::registeredAt).orElse(now);
        Instance instance = new Instance(handle, url, port == null || port.isNull() ? null : port.asInt(), registeredAt, now);
        producer.send(new ProducerRecord<>(topic, handle, instance.encode()), (meta, error) ->
                ctx.executor().execute(() -> {
                    if (error != null) {
                        reply.accept(failure(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "registry unavailable"));
                        return;
                    }
                    registry.put(instance);
                    reply.accept(json(ctx, HttpResponseStatus.OK, "{\"ok\":true,\"instances\":" + registry.size() + "}"));
                }));
    }

    private FullHttpResponse list(ChannelHandlerContext ctx) {
        ArrayNode out = JSON.createArrayNode();
        registry.list().forEach(i -> out.add(i.toJson()));
        return json(ctx, HttpResponseStatus.OK, out.toString());
    }

    private void delete(ChannelHandlerContext ctx, String handle, Consumer<FullHttpResponse> reply) {
        if (!ProxyKeys.HANDLE.matcher(handle).matches()) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST, "handle must match " + ProxyKeys.HANDLE.pattern()));
            return;
        }
        producer.send(new ProducerRecord<>(topic, handle, null), (meta, error) -> ctx.executor().execute(() -> {
            if (error != null) {
                reply.accept(failure(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "registry unavailable"));
                return;
            }
            registry.remove(handle);
            reply.accept(json(ctx, HttpResponseStatus.OK, "{\"ok\":true}"));
        }));
    }

    private void relay(ChannelHandlerContext ctx, String handle, byte[] body, Consumer<FullHttpResponse> reply) {
        var target = registry.get(handle);
        if (target.isEmpty()) {
            reply.accept(failure(ctx, HttpResponseStatus.NOT_FOUND, "Instance not found: " + handle));
            return;
        }
        String problem = messageProblem(body);
        if (problem != null) {
            reply.accept(failure(ctx, HttpResponseStatus.BAD_REQUEST, problem));
            return;
        }
        URI gateway = target.get().gatewayUrl();
        String base = gateway.toString().endsWith("/") ? gateway.toString().substring(0, gateway.toString().length() - 1)
                : gateway.toString();
        URI url = URI.create(base + "/api/message");
        DefaultFullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                url.getRawPath(), Unpooled.wrappedBuffer(body));
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        OneShotClient.send(ctx.channel().eventLoop(), ctx.alloc(), url, out, relayTimeout, MAX_RELAY_RESPONSE, reply);
    }

    /** {@code {"text": string, "from": {"handle": string, "displayName"?: string}}}, or why not. */
    static String messageProblem(byte[] body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            return "body is not JSON";
        }
        if (n == null || !n.path("text").isTextual()) {
            return "text must be a string";
        }
        if (!n.path("from").path("handle").isTextual()) {
            return "from.handle must be a string";
        }
        JsonNode display = n.path("from").get("displayName");
        if (display != null && !display.isNull() && !display.isTextual()) {
            return "from.displayName must be a string";
        }
        return null;
    }

    static URI gatewayUrl(String value) {
        if (value.isEmpty() || value.length() > 2048) {
            return null;
        }
        try {
            URI u = new URI(value);
            boolean ok = "http".equals(u.getScheme()) && u.getHost() != null && u.getRawUserInfo() == null
                    && u.getRawQuery() == null && u.getRawFragment() == null;
            return ok ? u : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static FullHttpResponse failure(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        return json(ctx, status, "{\"ok\":false,\"error\":" + quote(message) + "}");
    }

    private static FullHttpResponse json(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        return ErrorResponses.json(ctx.alloc(), status, body);
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

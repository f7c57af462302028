package dev.metering.edge.instances;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A registered instance gateway, as kept in the compacted instances topic (key: the handle) and
 * as {@code GET /instances} lists it.
 */
record Instance(String handle, URI gatewayUrl, Integer shellPort, Instant registeredAt, Instant lastSeen) {
    private static final ObjectMapper JSON = new ObjectMapper();

    ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("handle", handle);
        n.put("gatewayUrl", gatewayUrl.toString());
        if (shellPort == null) {
            n.putNull("shellPort");
        } else {
            n.put("shellPort", shellPort);
        }
        n.put("registeredAt", registeredAt.toString());
        n.put("lastSeen", lastSeen.toString());
        return n;
    }

    byte[] encode() {
        try {
            return JSON.writeValueAsBytes(toJson());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Instance decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            JsonNode port = n.get("shellPort");
            return new Instance(n.get("handle").asText(), URI.create(n.get("gatewayUrl").asText()),
                    port == null || port.isNull() ? null : port.asInt(), Instant.parse(n.get("registeredAt").asText()),
                    Instant.parse(n.get("lastSeen").asText()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not an instance record: " + e.getMessage(), e);
        }
    }
}

package dev.metering.edge.proxy;

import java.io.IOException;
import java.io.InputStream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

/**
 * What the edge reads from a request body: the top-level {@code model}, {@code stream} and
 * {@code max_tokens}. Nested values are skipped without being materialised; a body that is not
 * JSON yields empty facts (the upstream will answer it).
 */
public record RequestFacts(String model, boolean stream, long maxTokens) {
    static final RequestFacts NONE = new RequestFacts(null, false, 0);
    private static final JsonFactory JSON = new JsonFactory();

    public static RequestFacts parse(ByteBuf body) {
        if (!body.isReadable()) {
            return NONE;
        }
        String model = null;
        boolean stream = false;
        long maxTokens = 0;
        try (InputStream in = new ByteBufInputStream(body.duplicate()); JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return NONE;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "model" -> model = v == JsonToken.VALUE_STRING && p.getTextLength() > 0 && p.getTextLength() <= 128
                            ? p.getText() : model;
                    case "stream" -> stream = v == JsonToken.VALUE_TRUE;
                    case "max_tokens" -> maxTokens = v == JsonToken.VALUE_NUMBER_INT ? Math.max(0, p.getLongValue()) : 0;
                    default -> p.skipChildren();
                }
            }
            return new RequestFacts(model, stream, maxTokens);
        } catch (IOException | RuntimeException e) {
            return new RequestFacts(model, stream, maxTokens);
        }
    }
}

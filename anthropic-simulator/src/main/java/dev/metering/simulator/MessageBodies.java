package dev.metering.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The bodies of a simulated answer: the JSON message, its SSE events, and the garbage of the fault. */
final class MessageBodies {
    /** At most this many {@code content_block_delta} events per stream. */
    static final int MAX_DELTAS = 40;

    private static final String[] WORDS = {
        "simulated", "reply", "from", "the", "offline", "assistant", "with", "plain", "words", "that",
        "stand", "in", "for", "real", "model", "output", "so", "tests", "can", "count", "tokens", "and",
        "measure", "every", "byte", "of", "a", "stream", "while", "usage", "flows", "through", "meter",
    };
    private static final byte[] PING = "{\"type\": \"ping\"}".getBytes(StandardCharsets.UTF_8);

    private final String messageId;
    private final MessageRequest request;
    private final SimulatedUsage usage;

    MessageBodies(String messageId, MessageRequest request, SimulatedUsage usage) {
        this.messageId = messageId;
        this.request = request;
        this.usage = usage;
    }

    /** The non-streaming response body. */
    byte[] message() {
        ObjectNode message = messageHead();
        message.putArray("content").addObject().put("type", "text").put("text", String.join(" ", words()));
        message.put("stop_reason", stopReason());
        message.putNull("stop_sequence");
        usageNode(message.putObject("usage"), usage.outputTokens());
        return Json.bytes(message);
    }

    /** The SSE events of the streaming response, each {@code event: name\ndata: json\n\n}. */
    List<byte[]> events() {
        List<byte[]> events = new ArrayList<>();
        ObjectNode start = Json.object().put("type", "message_start");
        ObjectNode message = messageHead();
        start.set("message", message);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        usageNode(message.putObject("usage"), 1);
        events.add(event("message_start", Json.bytes(start)));

        ObjectNode blockStart = Json.object().put("type", "content_block_start").put("index", 0);
        blockStart.putObject("content_block").put("type", "text").put("text", "");
        events.add(event("content_block_start", Json.bytes(blockStart)));
        events.add(event("ping", PING));

        for (String text : deltaTexts()) {
            ObjectNode delta = Json.object().put("type", "content_block_delta").put("index", 0);
            delta.putObject("delta").put("type", "text_delta").put("text", text);
            events.add(event("content_block_delta", Json.bytes(delta)));
        }
        events.add(event("content_block_stop",
                Json.bytes(Json.object().put("type", "content_block_stop").put("index", 0))));

        ObjectNode messageDelta = Json.object().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", stopReason()).putNull("stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", usage.outputTokens());
        events.add(event("message_delta", Json.bytes(messageDelta)));
        events.add(event("message_stop", Json.bytes(Json.object().put("type", "message_stop"))));
        return events;
    }

    /** The body of {@link Fault#garbage()}: not SSE, broken JSON, random bytes, and no final newline. */
    static List<byte[]> garbage() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] noise = new byte[64];
        random.nextBytes(noise);
        return List.of(
                utf8("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\n\n"),
                utf8("this line is not server-sent events at all\n"),
                utf8("data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n"),
                noise,
                utf8("\nevent: \ndata: }{][\n\nevent: message_delta\ndata: {\"usage\":{\"output_tokens\":\"many\"}\n\n"),
                utf8("event: message_stop\ndata: {\"type\":\"message_st"));
    }

    private ObjectNode messageHead() {
        return Json.object().put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", request.model());
    }

    private void usageNode(ObjectNode node, long outputTokens) {
        node.put("input_tokens", usage.inputTokens());
        node.put("cache_creation_input_tokens", usage.cacheWriteTokens());
        node.put("cache_read_input_tokens", usage.cacheReadTokens());
        node.put("output_tokens", outputTokens);
    }

    private String stopReason() {
        return usage.outputTokens() == request.maxTokens() ? "max_tokens" : "end_turn";
    }

    /** One word per output token, chosen by the input so the same request gets the same text. */
    private List<String> words() {
        int count = (int) usage.outputTokens();
        int first = (int) (usage.inputTokens() % WORDS.length);
        List<String> words = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            words.add(WORDS[(first + i) % WORDS.length]);
        }
        return words;
    }

    /** The text split into 1 to {@value #MAX_DELTAS} deltas; concatenated they equal the JSON text. */
    private List<String> deltaTexts() {
        List<String> words = words();
        int deltas = Math.max(1, Math.min(words.size(), MAX_DELTAS));
        List<String> texts = new ArrayList<>(deltas);
        int from = 0;
        for (int d = 0; d < deltas; d++) {
            int to = (int) ((long) words.size() * (d + 1) / deltas);
            String text = String.join(" ", words.subList(from, to));
            texts.add(d < deltas - 1 ? text + " " : text);
            from = to;
        }
        return texts;
    }

    private static byte[] event(String name, byte[] json) {
        byte[] head = utf8("event: " + name + "\ndata: ");
        byte[] event = new byte[head.length + json.length + 2];
        System.arraycopy(head, 0, event, 0, head.length);
        System.arraycopy(json, 0, event, head.length, json.length);
        event[event.length - 2] = '\n';
        event[event.length - 1] = '\n';
        return event;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

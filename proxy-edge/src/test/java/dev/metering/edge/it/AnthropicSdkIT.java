package dev.metering.edge.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;

import dev.metering.model.event.UsageEvent;
import dev.metering.model.money.TokenUsage;
import dev.metering.testkit.InfraTest;
import dev.metering.testkit.TestInfra;

/** The official Anthropic Java SDK, pointed at the edge, works unchanged, and each call is metered once. */
class AnthropicSdkIT {
    private static final String MODEL = "claude-sonnet-4-5-20250929";

    @InfraTest
    void sdkCompletesAStreamingAndANonStreamingCallEachMeteredOnce(TestInfra infra) throws Exception {
        try (EdgeFixture f = EdgeFixture.start(infra, Map.of())) {
            AnthropicClient client = AnthropicOkHttpClient.builder()
                    .baseUrl(f.edge.url().toString())
                    .apiKey(EdgeFixture.KEYS.issue("sdk-user"))
                    .maxRetries(0)
                    .build();
            try {
                MessageCreateParams plain = MessageCreateParams.builder().model(MODEL).maxTokens(50)
                        .addUserMessage("What is the capital of France?").build();
                Message message = client.messages().create(plain);
                assertThat(message.model().asString()).isEqualTo(MODEL);
                assertThat(message.content()).isNotEmpty();

                MessageCreateParams streamed = MessageCreateParams.builder().model(MODEL).maxTokens(30)
                        .addUserMessage("Write a haiku about proxies, please, with feeling.").build();
                List<RawMessageStreamEvent> events = new ArrayList<>();
                try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(streamed)) {
                    stream.stream().forEach(events::add);
                }
                assertThat(events).isNotEmpty();
                assertThat(events.get(0).isMessageStart()).isTrue();
                assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();
                long outputTokens = events.stream().filter(RawMessageStreamEvent::isMessageDelta)
                        .mapToLong(e -> e.asMessageDelta().usage().outputTokens()).max().orElseThrow();

                List<UsageEvent> metered = new ArrayList<>(f.exactlyEvents(2));
                metered.sort(Comparator.comparing(UsageEvent::stream));
                UsageEvent plainEvent = metered.get(0);
                UsageEvent streamEvent = metered.get(1);

                var exchanges = f.sim.exchanges();
                TokenUsage plainUsage = EdgeProxyIT.expectedUsage(exchanges.get(0));
                TokenUsage streamUsage = EdgeProxyIT.expectedUsage(exchanges.get(1));

                assertThat(plainEvent.stream()).isFalse();
                assertThat(plainEvent.userId()).isEqualTo("sdk-user");
                assertThat(plainEvent.inputTokens()).isEqualTo(message.usage().inputTokens()).isEqualTo(plainUsage.input());
                assertThat(plainEvent.outputTokens()).isEqualTo(message.usage().outputTokens()).isEqualTo(plainUsage.output());
                assertThat(plainEvent.costMicros()).isEqualTo(EdgeProxyIT.expectedCost(MODEL, plainUsage));

                assertThat(streamEvent.stream()).isTrue();
                assertThat(streamEvent.inputTokens()).isEqualTo(streamUsage.input());
                assertThat(streamEvent.outputTokens()).isEqualTo(outputTokens).isEqualTo(streamUsage.output());
                assertThat(streamEvent.costMicros()).isEqualTo(EdgeProxyIT.expectedCost(MODEL, streamUsage));
            } finally {
                client.close();
            }
        }
    }
}

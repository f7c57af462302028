package dev.metering.consumer.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.model.config.Env;
import dev.metering.testkit.TestDatabase;
import dev.metering.testkit.TestInfra;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** A usage-consumer on a topic and database of the test's own. */
final class ConsumerFixture {
    static final String ADMIN_TOKEN = "admin-token-for-tests";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ConsumerFixture() {
    }

    static Map<String, String> env(TestInfra infra, TestDatabase db, String topic) {
        Map<String, String> env = new HashMap<>();
        env.put("PROXY_DATABASE_URL", db.libpqUrl());
        env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafkaBootstrapServers());
        env.put("METERING_USAGE_TOPIC", topic);
        env.put("METERING_CONSUMER_GROUP", TestInfra.uniqueName("group"));
        env.put("METERING_ADMIN_PORT", "0");
        env.put("PROXY_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("METERING_TOPIC_PARTITIONS", "3");
        return env;
    }

    static UsageConsumer start(Map<String, String> env) {
        return UsageConsumer.start(ConsumerConfig.fromEnv(Env.of(env)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    static HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

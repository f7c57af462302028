package dev.metering.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;

import dev.metering.consumer.UsageConsumer;
import dev.metering.consumer.config.ConsumerConfig;
import dev.metering.edge.Edge;
import dev.metering.edge.config.EdgeConfig;
import dev.metering.infra.EmbeddedKafka;
import dev.metering.infra.EmbeddedPostgres;
import dev.metering.model.config.Env;
import dev.metering.model.event.Outcome;
import dev.metering.model.event.UsageEvent;
import dev.metering.model.event.UsageEventRecords;
import dev.metering.model.key.ProxyKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Freshness (event produced to visible in the usage summary, under steady load), quota
 * propagation (quota stored to enforced at two edges) and the overshoot two edges allow under
 * 32 concurrent callers, on one embedded broker and PostgreSQL.
 */
final class PipelineBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TOKEN = "bench-admin";
    private static final String SECRET = "bench-secret";

    private PipelineBench() {
    }

    static void run(int seconds, int rate, int samples) throws Exception {
        Path work = Files.createTempDirectory("bench-pipeline");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0, true);
                EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("pg"), 0, true, true, EmbeddedPostgres.DURABLE);
                FastUpstream upstream = FastUpstream.start(1)) {
            pg.createDatabase("bench");
            Map<String, String> env = new HashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("PROXY_DATABASE_URL", "postgresql://postgres@127.0.0.1:" + pg.port() + "/bench");
            env.put("PROXY_ADMIN_TOKEN", TOKEN);
            env.put("PROXY_SHARED_SECRET", SECRET);
            env.put("METERING_ADMIN_PORT", "0");
            env.put("METERING_TOPIC_PARTITIONS", "12");
            env.put("ANTHROPIC_API_URL", upstream.url().toString());
            env.put("ANTHROPIC_API_KEY", "sk-ant-bench");
            env.put("PROXY_PORT", "0");
            try (UsageConsumer consumer = UsageConsumer.start(ConsumerConfig.fromEnv(Env.of(env)),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
                URI admin = URI.create("http://127.0.0.1:" + consumer.adminPort());
                freshness(kafka.bootstrapServers(), admin, seconds, rate);
                Edge a = edge(env, work, "a");
                Edge b = edge(env, work, "b");
                try {
                    propagation(admin, a, b, samples);
                    overshoot(admin, a, b);
                } finally {
                    a.close();
                    b.close();
                }
            }
        } finally {
            dev.metering.infra.Directories.deleteRecursively(work);
        }
    }

    private static Edge edge(Map<String, String> env, Path work, String name) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("PROXY_SPOOL_DIR", work.resolve("spool-" + name).toString());
        e.put("PROXY_EDGE_ID", "bench-" + name);
        Edge edge = Edge.start(EdgeConfig.fromEnv(Env.of(e), Optional.empty()), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!edge.quota().ready() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return edge;
    }

    /** Produced (before send) to visible in GET /usage/{user}, sampled every 100 ms under steady load. */
    private static void freshness(String bootstrap, URI admin, int seconds, int rate) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong produced = new AtomicLong();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            Random r = new Random(3);
            try (KafkaProducer<String, byte[]> p = IngestionBench.producer(bootstrap)) {
                long interval = TimeUnit.SECONDS.toNanos(1) / rate;
                long due = System.nanoTime();
                while (running.get()) {
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    p.send(UsageEventRecords.toRecord("usage-events", event("load-" + r.nextInt(1000), 100)));
                    produced.incrementAndGet();
                    due += interval;
                }
            }
        });
        Histogram visible = new Histogram(3);
        try (KafkaProducer<String, byte[]> probe = IngestionBench.producer(bootstrap)) {
            // Steady state first: the consumer's loops have joined the group and a first event
            // has gone all the way through, under the load.
            probe.send(UsageEventRecords.toRecord("usage-events", event("probe-warm-up", 1)));
            probe.flush();
            long warmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!get(admin.resolve("/usage/probe-warm-up")).contains("\"total\":0.000001")) {
                if (System.nanoTime() > warmDeadline) {
                    throw new IllegalStateException("the consumer did not count a first event within 60 s");
                }
                Thread.sleep(20);
            }
            Thread.sleep(2000);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            int i = 0;
            while (System.nanoTime() < end) {
                String user = "probe-" + i++;
                long t0 = System.nanoTime();
                probe.send(UsageEventRecords.toRecord("usage-events", event(user, 1)));
                probe.flush();
                while (!get(admin.resolve("/usage/" + user)).contains("\"total\":0.000001")) {
                    Thread.sleep(2);
                    if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(30)) {
                        throw new IllegalStateException("probe " + user + " never became visible");
                    }
                }
                visible.recordValue((System.nanoTime() - t0) / 1000);
                Thread.sleep(100);
            }
        }
        running.set(false);
        load.get();
        System.out.println();
        System.out.printf("## Freshness (background load %d events/s for %d s; %d probes)%n%n", rate, seconds,
                visible.getTotalCount());
        System.out.println("| produced to visible in /usage/{user} | p50 ms | p99 ms | max ms |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| | %.1f | %.1f | %.1f |%n", visible.getValueAtPercentile(50) / 1000.0,
                visible.getValueAtPercentile(99) / 1000.0, visible.getMaxValue() / 1000.0);
        System.out.printf("%nBackground events produced: %d%n", produced.get());
    }

    /** POST /quotas returned to the limit held at both edges. */
    private static void propagation(URI admin, Edge a, Edge b, int samples) throws Exception {
        Histogram h = new Histogram(3);
        for (int i = 0; i < samples; i++) {
            String user = "quota-" + i;
            post(admin.resolve("/quotas/" + user), "{\"dailyLimitUsd\":0,\"monthlyLimitUsd\":null}");
            long t0 = System.nanoTime();
            while (!(limited(a, user) && limited(b, user))) {
                Thread.onSpinWait();
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(10)) {
                    throw new IllegalStateException("quota of " + user + " never reached both edges");
                }
            }
            h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        }
        System.out.println();
        System.out.printf("## Quota propagation (%d changes, two edges)%n%n", samples);
        System.out.println("| POST /quotas returned to enforced at both edges | p50 ms | p99 ms | max ms |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| | %.2f | %.2f | %.2f |%n", h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
    }

    /** Two edges, 32 concurrent callers of one user: how far past the limit spend goes. */
    private static void overshoot(URI admin, Edge a, Edge b) throws Exception {
        String user = "shared";
        long limitMicros = 50_000;
        post(admin.resolve("/quotas/" + user), "{\"dailyLimitUsd\":0.05}");
        while (!(a.quota().stateOf(user).isPresent() && b.quota().stateOf(user).isPresent())) {
            Thread.sleep(5);
        }
        String key = new ProxyKeys(SECRET).issue(user);
        AtomicLong allowed = new AtomicLong();
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < 32; t++) {
            Edge edge = t % 2 == 0 ? a : b;
            callers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 400; i++) {
                    HttpResponse<String> r = call(edge, key);
                    if (r.statusCode() != 200) {
                        return;
                    }
                    allowed.incrementAndGet();
                }
            }));
        }
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get();
        long perCall = 25 * 3 + 12 * 15; // the fast upstream's usage at sonnet prices, micro-USD
        long spent = allowed.get() * perCall;
        System.out.println();
        System.out.println("## Quota overshoot (two edges, 32 concurrent callers, one user)");
        System.out.println();
        System.out.println("| limit USD | calls allowed | spent USD | overshoot USD | overshoot in calls | seconds |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf("| %.6f | %d | %.6f | %.6f | %.1f | %.1f |%n", limitMicros / 1e6, allowed.get(), spent / 1e6,
                (spent - limitMicros) / 1e6, (spent - limitMicros) / (double) perCall, (System.nanoTime() - t0) / 1e9);
        System.out.println();
        System.out.println("Each edge sees its own spend at once and the other's after the consumer has counted it and "
                + "published the state (the propagation delay above plus a batch), so the overshoot is the other "
                + "edge's spend during that delay.");
    }

    private static boolean limited(Edge edge, String user) {
        return edge.quota().stateOf(user).map(s -> s.dailyLimitMicros().isPresent()).orElse(false);
    }

    private static UsageEvent event(String user, long cost) {
        return new UsageEvent(UUID.randomUUID().toString(), UsageEvent.occurredNow(), user, null, "claude-sonnet-4-5", 200, false,
                10, 10, 0, 0, cost, "2025-10-01", "bench", 1, Outcome.COMPLETED);
    }

    private static String get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).header("authorization", "Bearer " + TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void post(URI uri, String json) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).header("authorization", "Bearer " + TOKEN)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST " + uri + ": " + r.statusCode() + " " + r.body());
        }
    }

    private static HttpResponse<String> call(Edge edge, String key) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(edge.url() + "/v1/messages"))
                    .header("x-api-key", key).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":12,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

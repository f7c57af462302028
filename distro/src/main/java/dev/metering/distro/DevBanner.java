package dev.metering.distro;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import dev.metering.model.config.MeteringConfig;

/** What {@code dev} prints once everything is up: where things are, the secrets, and curl commands that work. */
record DevBanner(int edgePort, MeteringConfig config, String bootstrap, String databaseUrl, Path data,
        Optional<URI> simulator, String demoKey) {

    static final String READY = "metering dev is ready";

    void print(PrintStream out) {
        String edge = "http://127.0.0.1:" + edgePort;
        String token = config.adminToken().orElseThrow().reveal();
        out.println();
        out.println(READY);
        out.println("  edge         " + edge);
        out.println("  upstream     " + simulator.map(u -> "simulated Anthropic API at " + u
                + " (set ANTHROPIC_API_URL and ANTHROPIC_API_KEY for the real one)")
                .orElse(config.anthropicApiUrlOrDefault().toString()));
        out.println("  kafka        " + bootstrap + " (topic " + config.usageTopic() + ")");
        out.println("  postgresql   " + databaseUrl);
        out.println("  data         " + data);
        out.println("  admin token  " + token + "  (from " + config.adminToken().get().variable() + ")");
        out.println("  demo key     " + demoKey);
        out.println();
        out.println("Try:");
        out.println("curl -sN " + edge + "/v1/messages -H " + quote("x-api-key: " + demoKey)
                + " -H 'content-type: application/json' -d "
                + quote("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, metering\"}]}"));
        out.println("curl -s " + edge + "/usage/summary -H " + quote("authorization: Bearer " + token));
        out.println("curl -s " + edge + "/usage/demo -H " + quote("authorization: Bearer " + token));
        out.println("curl -s " + edge + "/quotas/demo -H " + quote("authorization: Bearer " + token)
                + " -H 'content-type: application/json' -d '{\"dailyLimitUsd\":1.5,\"monthlyLimitUsd\":null}'");
        out.println("curl -s " + edge + "/metrics");
        out.println("kcat -C -b " + bootstrap + " -t " + config.usageTopic() + " -o beginning -f '%k %s\\n'");
        out.println();
        out.println("Ctrl-C stops everything; data stays in " + data + " (--fresh wipes it).");
        out.flush();
    }

    /** Single-quoted for a POSIX shell. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

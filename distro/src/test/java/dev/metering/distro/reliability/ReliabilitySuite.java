package dev.metering.distro.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.metering.infra.FreePorts;

/**
 * What both parts of the reliability suite share: one cluster with a consumer and an edge for
 * all scenarios, the ledger check's row recorded and asserted per scenario, and the table printed
 * and written to {@code target/} at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ReliabilitySuite {
    private final String tableFile;
    private final List<LedgerCheck.Row> rows = new ArrayList<>();
    Cluster cluster;
    Jar consumer;
    Jar edge;
    int edgePort;

    ReliabilitySuite(String tableFile) {
        this.tableFile = tableFile;
    }

    @BeforeAll
    void start() throws Exception {
        cluster = new Cluster();
        consumer = cluster.consumer(Map.of());
        edgePort = FreePorts.pick();
        edge = cluster.edge(edgePort, Files.createTempDirectory("spool"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        String table = LedgerCheck.table(rows);
        System.out.println(table);
        Files.writeString(Path.of("target", tableFile), table);
        for (Jar j : new Jar[] {edge, consumer}) {
            if (j != null) {
                j.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Keeps the scenario's row for the table, and fails it on anything lost or doubled. */
    void record(LedgerCheck.Row row) {
        rows.add(row);
        assertThat(row.lost()).as("%s: lost", row.scenario()).isZero();
        assertThat(row.doubled()).as("%s: doubled", row.scenario()).isZero();
        assertThat(row.rollupsExact()).as("%s: rollups equal the ledger", row.scenario()).isTrue();
        assertThat(row.completed()).as("%s: calls completed", row.scenario()).isPositive();
    }
}

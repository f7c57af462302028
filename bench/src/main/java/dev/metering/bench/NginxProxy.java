package dev.metering.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nginx as a reverse proxy to the fast upstream, a baseline path for the edge bench: a mature
 * proxy written in C, with keep-alive upstream connections and responses relayed as they come
 * (no buffering), so what a proxy hop costs on the machine is also measured for a proxy that is
 * not ours. Runs in the foreground (its master and {@code auto} workers, one per core it may run on) with a
 * configuration written to a directory of its own; SIGTERM stops it.
 */
final class NginxProxy {
    private NginxProxy() {
    }

    /**
     * Starts {@code nginx} listening on {@code port}, under {@code prefix} (such as {@code taskset
     * -c 1}, as the other proxies); returns its master process once it listens.
     */
    static Process start(List<String> prefix, Path nginx, Path dir, int port, URI upstream) throws Exception {
        Files.createDirectories(dir);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, configuration(dir, port, upstream));
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(nginx.toString(), "-p", dir.toString(), "-c", conf.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        return ChildProcesses.awaitListening(p, port, "nginx (its log: " + dir.resolve("error.log") + ")");
    }

    static String configuration(Path dir, int port, URI upstream) {
        return """
                daemon off;
                user root;
                worker_processes auto;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream fast_upstream {
                        server %2$s:%3$d;
                        keepalive 512;
                    }
                    server {
                        listen 127.0.0.1:%4$d;
                        keepalive_requests 1000000;
                        location / {
                            proxy_pass http://fast_upstream;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                        }
                    }
                }
                """.formatted(dir.toAbsolutePath(), upstream.getHost(), upstream.getPort(), port);
    }
}

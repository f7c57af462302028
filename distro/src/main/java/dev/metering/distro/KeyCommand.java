package dev.metering.distro;

import java.util.concurrent.Callable;

import dev.metering.model.config.ConfigException;
import dev.metering.model.config.Env;
import dev.metering.model.config.MeteringConfig;
import dev.metering.model.key.ProxyKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Prints the {@code sk-proxy-} key of a handle, from the shared secret. */
@Command(name = "key", mixinStandardHelpOptions = true,
        description = "Print the sk-proxy- key for a handle, from PROXY_SHARED_SECRET (else PLATFORM_SECRET).")
final class KeyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<handle>", description = "the handle, matching ^[a-z][a-z0-9-]{2,30}$")
    String handle;

    @Override
    public Integer call() {
        MeteringConfig config = MeteringConfig.fromEnv(Env.system());
        var secret = config.sharedSecret().orElseThrow(() -> new ConfigException(
                "PROXY_SHARED_SECRET / PLATFORM_SECRET", "unset", "the HMAC secret of sk-proxy- keys"));
        if (!ProxyKeys.HANDLE.matcher(handle).matches()) {
            throw new ConfigException("<handle>", "\"" + handle + "\"", ProxyKeys.HANDLE.pattern());
        }
        System.out.println(new ProxyKeys(secret.reveal()).issue(handle));
        return 0;
    }
}

package dev.metering.edge.upstream;

import io.netty.handler.codec.http.HttpObject;

/** What a call hears from its upstream connection, on that connection's event loop. */
public interface UpstreamListener {
    /** A response head or body piece; the listener owns (and releases) it. */
    void onUpstreamMessage(HttpObject msg);

    /** The current read burst ended; a good moment to ask for more if the client keeps up. */
    void onUpstreamReadComplete();

    /** The connection closed. */
    void onUpstreamClosed();

    /** The connection failed; it is being closed. */
    void onUpstreamError(Throwable cause);
}

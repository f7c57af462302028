package dev.metering.edge.auth;

/** Whether a call may go upstream, as whom and with which key. */
public sealed interface AuthResult {

    /**
     * The call goes upstream.
     *
     * @param userId who is metered
     * @param upstreamHeader {@code x-api-key} or {@code authorization}
     * @param upstreamValue the value of that header (never logged)
     */
    record Allowed(String userId, String upstreamHeader, String upstreamValue) implements AuthResult {
        @Override
        public String toString() {
            return "Allowed[userId=" + userId + ", header=" + upstreamHeader + "]";
        }
    }

    /** The call is refused with 401 and this message. */
    enum Refused implements AuthResult {
        UNAUTHORIZED("Unauthorized"),
        NO_API_KEY("No API key configured");

        private final String message;

        Refused(String message) {
            this.message = message;
        }

        public String message() {
            return message;
        }
    }
}

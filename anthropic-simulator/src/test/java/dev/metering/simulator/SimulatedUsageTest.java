package dev.metering.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.Test;

class SimulatedUsageTest {

    private static SimulatedUsage usage(String json) throws IOException {
        return SimulatedUsage.forRequest(SimClient.json(json.replace('\'', '"')));
    }

    @Test
    void countsSystemAndMessageStringsByFour() throws IOException {
        // 4 + 12 = 16 characters -> 4 input tokens; output 5 + 4 % 23 = 9
        SimulatedUsage u = usage("{'model':'m','max_tokens':100,'system':'abcd',"
                + "'messages':[{'role':'user','content':'hello world!'}]}");
        assertThat(u.inputTokens()).isEqualTo(4);
        assertThat(u.outputTokens()).isEqualTo(9);
        assertThat(u.cacheWriteTokens()).isZero();
        assertThat(u.cacheReadTokens()).isZero();
    }

    @Test
    void countsTextBlocksOnlyAndRoundsUp() throws IOException {
        // system block 10 + user text block 3 (image ignored) + assistant 2 = 15 -> ceil(15/4) = 4
        SimulatedUsage u = usage("{'model':'m','max_tokens':100,"
                + "'system':[{'type':'text','text':'0123456789'}],"
                + "'messages':[{'role':'user','content':[{'type':'text','text':'abc'},"
                + "{'type':'image','source':{'type':'base64','media_type':'image/png','data':'AAAAAAAAAAAAAAAA'}}]},"
                + "{'role':'assistant','content':'xy'}]}");
        assertThat(u.inputTokens()).isEqualTo(4);
    }

    @Test
    void capsOutputAtMaxTokens() throws IOException {
        // 100 characters -> 25 input tokens; uncapped output 5 + 25 % 23 = 7
        String text = "a".repeat(100);
        assertThat(usage("{'model':'m','max_tokens':100,'messages':[{'role':'user','content':'" + text + "'}]}")
                .outputTokens()).isEqualTo(7);
        assertThat(usage("{'model':'m','max_tokens':3,'messages':[{'role':'user','content':'" + text + "'}]}")
                .outputTokens()).isEqualTo(3);
        assertThat(usage("{'model':'m','messages':[{'role':'user','content':'" + text + "'}]}")
                .outputTokens()).as("no max_tokens, no cap").isEqualTo(7);
    }

    @Test
    void emptyRequestStillCostsOneInputToken() throws IOException {
        SimulatedUsage u = usage("{'model':'m','max_tokens':100,'messages':[]}");
        assertThat(u.inputTokens()).isEqualTo(1);
        assertThat(u.outputTokens()).isEqualTo(6);
    }

    @Test
    void countsCodePoints() throws IOException {
        // "héllo" + an emoji outside the BMP: 6 code points (7 UTF-16 units) -> 2 tokens
        SimulatedUsage u = SimulatedUsage.forRequest(SimClient.json(
                "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"h\u00e9llo\uD83D\uDE00\"}]}"));
        assertThat(u.inputTokens()).isEqualTo(2);
    }

    @Test
    void cacheWriteWhenAnyCacheControlObjectAppears() throws IOException {
        // 40 characters -> 10 input tokens; cache write 10 / 2 = 5
        String deep = "{'model':'m','max_tokens':100,'messages':[{'role':'user','content':[{'type':'tool_result',"
                + "'tool_use_id':'t1','content':[{'type':'text','text':'x','cache_control':{'type':'ephemeral'}}]},"
                + "{'type':'text','text':'" + "b".repeat(40) + "'}]}]}";
        assertThat(usage(deep).cacheWriteTokens()).isEqualTo(5);
        assertThat(usage("{'model':'m','max_tokens':100,'system':[{'type':'text','text':'" + "b".repeat(40)
                + "','cache_control':{'type':'ephemeral'}}],'messages':[]}").cacheWriteTokens()).isEqualTo(5);
        assertThat(usage("{'model':'m','max_tokens':100,'system':[{'type':'text','text':'" + "b".repeat(40)
                + "','cache_control':'ephemeral'}],'messages':[]}").cacheWriteTokens())
                .as("not an object").isZero();
    }

    @Test
    void cacheReadForTheCacheHitUser() throws IOException {
        // 40 characters -> 10 input tokens; cache read 10 / 3 = 3; output 5 + 10 = 15
        SimulatedUsage u = usage("{'model':'m','max_tokens':100,'metadata':{'user_id':'cache-hit'},"
                + "'messages':[{'role':'user','content':'" + "c".repeat(40) + "'}]}");
        assertThat(u.inputTokens()).isEqualTo(10);
        assertThat(u.cacheReadTokens()).isEqualTo(3);
        assertThat(u.cacheWriteTokens()).isZero();
        assertThat(u.outputTokens()).isEqualTo(15);
        assertThat(usage("{'model':'m','max_tokens':100,'metadata':{'user_id':'someone'},"
                + "'messages':[{'role':'user','content':'" + "c".repeat(40) + "'}]}").cacheReadTokens()).isZero();
    }
}

package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The encoder's warm-up runs what it is asked within its budget and leaves no trace in the streams after it. */
class ChunkEncoderWarmUpTest {

    @TempDir
    static Path modelDir;
    static ModelDirectory model;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = OpsTestSupport.tinyModel(modelDir);
    }

    private static ChunkEncoder encoder() {
        return encoder(new LongNetDecoder(model.weights()));
    }

    private static ChunkEncoder encoder(LongNetDecoder decoder) {
        return new ChunkEncoder(decoder, model.fingerprint(), 3, true, CorpusTokenizer.forModel(model.dir()));
    }

    /** Stream A's chunks (several documents, chunks over segment boundaries) encoded in order by {@code encoder}. */
    private static List<EncodedChunk> encodeStreamA(ChunkEncoder encoder) {
        EncoderStream state = encoder.newStream();
        List<EncodedChunk> out = new ArrayList<>();
        for (StreamChunk in : EncoderOperatorTest.chunks("A", 7, new int[] {5, 1, 12, 3, 9}, 1)) {
            ChunkEncoder.Encoded encoded = encoder.encode("A", state, in.chunk());
            state = encoded.stream();
            out.add(encoded.chunk());
        }
        return out;
    }

    @Test
    void aWarmedUpEncoderGivesWhatAFreshOneGives() {
        ChunkEncoder warmed = encoder();
        // 9 forwards: one, two and three streams at each of the three chunk lengths, over segment boundaries
        assertThat(warmed.warmUp(9, 60_000, new EncoderBatching(512, 10))).isEqualTo(9);

        List<EncodedChunk> afterWarmUp = encodeStreamA(warmed);
        List<EncodedChunk> fresh = encodeStreamA(encoder());

        assertThat(afterWarmUp).hasSameSizeAs(fresh);
        for (int i = 0; i < fresh.size(); i++) {
            assertThat(afterWarmUp.get(i).features()).as("features of chunk %d", i)
                    .containsExactly(fresh.get(i).features());
            assertThat(afterWarmUp.get(i).nll()).as("NLL of chunk %d", i).containsExactly(fresh.get(i).nll());
            assertThat(afterWarmUp.get(i).topNext()).as("top next tokens of chunk %d", i)
                    .isEqualTo(fresh.get(i).topNext());
        }
    }

    @Test
    void aSpentBudgetRunsNoForward() {
        assertThat(encoder().warmUp(30, 0, new EncoderBatching(512, 10))).isZero();
    }

    /**
     * Its batches of three chunks of 96 tokens would reserve 291 logits rows; within a chunk-size of 40 it reserves
     * what one chunk of 40 does, as the job's own batches, whose check covers one chunk of chunk-size.
     */
    @Test
    void itsForwardsStayWithinTheJobsChunkSize() {
        LongNetDecoder capped = new LongNetDecoder(model.weights());
        assertThat(encoder(capped).warmUp(9, 60_000, new EncoderBatching(40, 10))).isEqualTo(9);
        assertThat(capped.logitsBufferRows())
                .isEqualTo(LongNetDecoder.reservedLogitsRows(ChunkEncoder.logitsRows(40)));

        LongNetDecoder uncapped = new LongNetDecoder(model.weights());
        encoder(uncapped).warmUp(9, 60_000, new EncoderBatching(512, 10));
        assertThat(uncapped.logitsBufferRows()).isEqualTo(LongNetDecoder.reservedLogitsRows(3 * (96 + 1)));
    }
}

package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.decoder.DecoderReference;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * forward at any length: sequences longer than one pass (the old one-array limit, scaled down) run in passes
 * and give the reference numbers; what cannot run is refused up front, naming the limit or the size.
 */
class ForwardCommandTest {

    private static final String SMALL = "{\"vocab_size\": 11, \"decoder_embed_dim\": 8, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 8, \"decoder_layers\": 2, "
            + "\"segment_length\": [4, 8], \"dilated_ratio\": [1, 2], \"deepnorm\": true}";

    @TempDir
    Path dir;

    private String stderr;

    @Test
    void aSequencePastOnePassRunsInPassesAndGivesTheReferenceNumbers() throws Exception {
        ModelDirectory model = ModelDirectory.save(dir.resolve("m"), ModelInit.random(ModelConfigJson.parse(SMALL), 3));
        ModelConfig c = model.config();
        long passFloats = 5L * (3 * 8 + 8); // five tokens a pass
        assertThat(ForwardCommand.passTokens(c, passFloats)).isEqualTo(5);
        long[] tokens = new Random(4).longs(2 * 23, 0, 11).toArray(); // [2, 23]
        Path in = dir.resolve("in.safetensors");
        SafetensorsWriter.write(in, List.of(NamedTensor.i64("tokens", tokens, 2, 23)), Map.of());
        Path passes = dir.resolve("passes.safetensors");
        ForwardCommand.forward(model, in, passes, new ForwardCommand.Options(0, true, true, passFloats));
        Path onePass = dir.resolve("one.safetensors");
        ForwardCommand.forward(model, in, onePass, new ForwardCommand.Options(0, true, true, ForwardCommand.PASS_FLOATS));

        float[] logits = read(passes, "logits");     // [2, 23, 11]
        float[] features = read(passes, "features"); // [2, 23, 8]
        for (int b = 0; b < 2; b++) {
            int[] seq = new int[23];
            for (int p = 0; p < 23; p++) {
                seq[p] = (int) tokens[b * 23 + p];
            }
            DecoderReference.Result expected = new DecoderReference(model.weights()).forward(seq);
            assertClose(Arrays.copyOfRange(logits, b * 23 * 11, (b + 1) * 23 * 11), expected.logits());
            assertClose(Arrays.copyOfRange(features, b * 23 * 8, (b + 1) * 23 * 8), expected.features());
        }
        assertWithin(read(onePass, "logits"), logits, 1e-5f);
        assertWithin(read(onePass, "features"), features, 1e-5f);

        Path featuresOnly = dir.resolve("features.safetensors");
        assertThat(cli("forward", "--model", model.dir().toString(), "--tokens", in.toString(),
                "--out", featuresOnly.toString(), "--outputs", "features")).as(stderr).isZero();
        try (SafetensorsFile st = SafetensorsFile.open(featuresOnly)) {
            assertThat(st.tensors().keySet()).containsExactly("features");
        }
        assertWithin(read(featuresOnly, "features"), features, 1e-5f);
        assertThat(cli("forward", "--model", model.dir().toString(), "--tokens", in.toString(),
                "--out", featuresOnly.toString(), "--outputs", "embeddings")).isEqualTo(2);
        assertThat(stderr).contains("--outputs must list logits and/or features").contains("\"embeddings\"");
    }

    @Test
    void aChunkPastTheBufferViewLimitIsRefusedNamingTheLimit() throws Exception {
        // E = 768: q, k, v of 233,017 tokens are more than 2^31 bytes, past what one buffer view spans
        ModelConfig c = ModelConfigJson.parse("{\"vocab_size\": 11, \"decoder_embed_dim\": 768, "
                + "\"decoder_attention_heads\": 12, \"decoder_ffn_embed_dim\": 8, \"decoder_layers\": 1, "
                + "\"segment_length\": [4], \"dilated_ratio\": [1]}");
        assertThat(c.maxChunkTokens()).isEqualTo(233_016);
        ModelDirectory model = ModelDirectory.save(dir.resolve("wide"), ModelInit.random(c, 1));
        LongNetDecoder decoder = new LongNetDecoder(model.weights());
        assertThatThrownBy(() -> decoder.forward(new int[233_017], decoder.newState(), false))
                .hasMessageContaining("1 to 233016 tokens").hasMessageContaining("decoder_embed_dim 768")
                .hasMessageContaining("got 233017");
        assertThatThrownBy(() -> decoder.forward(new int[0], decoder.newState(), false))
                .hasMessageContaining("got 0");
        Path in = dir.resolve("in.safetensors");
        SafetensorsWriter.write(in, List.of(NamedTensor.i64("tokens", new long[] {1, 2}, 1, 2)), Map.of());
        assertThat(cli("forward", "--model", model.dir().toString(), "--tokens", in.toString(),
                "--out", dir.resolve("o.safetensors").toString(), "--chunk", "233017")).isEqualTo(2);
        assertThat(stderr).contains("--chunk 233017 is above the decoder's limit of 233016 tokens")
                .contains("leave --chunk out");
    }

    @Test
    void outputsTheDiskCannotHoldAreRefusedBeforeAnyWork() throws Exception {
        ModelDirectory model = ModelDirectory.save(dir.resolve("m"), ModelInit.random(ModelConfigJson.parse(SMALL), 3));
        long seq = 1L << 38; // a sparse 2 TiB tokens file (all ids 0); logits 11 TiB, features 8 TiB
        Path in = sparseTokens(dir.resolve("huge.safetensors"), seq);
        Path out = dir.resolve("o.safetensors");
        assertThat(cli("forward", "--model", model.dir().toString(), "--tokens", in.toString(),
                "--out", out.toString())).isEqualTo(2);
        assertThat(stderr).contains("the outputs need " + (seq * 11 * 4 + seq * 8 * 4) + " bytes")
                .contains("logits [1, " + seq + ", 11] = " + seq * 11 * 4 + " bytes")
                .contains("features [1, " + seq + ", 8] = " + seq * 8 * 4 + " bytes")
                .contains("bytes free; --outputs features writes the features alone");
        assertThat(cli("forward", "--model", model.dir().toString(), "--tokens", in.toString(),
                "--out", out.toString(), "--outputs", "features")).isEqualTo(2);
        assertThat(stderr).contains("the outputs need " + seq * 8 * 4 + " bytes").doesNotContain("--outputs");
        assertThat(out).doesNotExist();
    }

    /** A safetensors file declaring I64 tokens [1, seq] whose data is a hole of zeros (token id 0). */
    private static Path sparseTokens(Path file, long seq) throws Exception {
        byte[] header = ("{\"tokens\":{\"dtype\":\"I64\",\"shape\":[1," + seq + "],\"data_offsets\":[0," + seq * 8
                + "]}}").getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            f.write(header);
            f.setLength(8 + header.length + seq * 8);
        }
        return file;
    }

    private int cli(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(old);
            stderr = err.toString(StandardCharsets.UTF_8);
        }
    }

    private static float[] read(Path file, String name) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            return st.readFloats(name);
        }
    }

    private static void assertClose(float[] got, double[][] expected) {
        int width = expected[0].length;
        assertThat(got).hasSize(expected.length * width);
        for (int p = 0; p < expected.length; p++) {
            for (int i = 0; i < width; i++) {
                assertThat((double) got[p * width + i]).as("row %d column %d", p, i)
                        .isCloseTo(expected[p][i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(expected[p][i]))));
            }
        }
    }

    private static void assertWithin(float[] a, float[] b, float tol) {
        assertThat(a).hasSize(b.length);
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("element %d", i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(tol));
        }
    }
}

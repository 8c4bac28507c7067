package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longnet.io.SafetensorsFile;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole decoder's gradient against ../shared/golden/grad (torchscale's LongNetDecoder in float64, exact through
 * the branch-mixing weights): per tensor within 1e-5 + 1e-3 x its largest entry, loss within 1e-4 relative.
 * Skipped when ../shared is not beside the checkout.
 */
class GoldenGradientTest {

    static Path goldenDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/golden/grad/manifest.json");
            if (Files.isRegularFile(candidate)) {
                return candidate.getParent();
            }
        }
        return null;
    }

    @Test
    void everyGoldenCaseMatchesInOneChunk() throws Exception {
        checkAll(0);
    }

    /** Chunks of 16 give the same gradient only where no segment spans two chunks; here w <= 16 divides 16. */
    @Test
    void everyGoldenCaseMatchesInChunksAlignedToTheLongestSegment() throws Exception {
        checkAll(16);
    }

    private void checkAll(int chunk) throws Exception {
        Path dir = goldenDir();
        assumeTrue(dir != null, "../shared/golden/grad is not present");
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        int checked = 0;
        for (JsonNode c : manifest.get("cases")) {
            check(dir, c, chunk);
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(2);
    }

    private static void check(Path dir, JsonNode c, int chunk) throws Exception {
        String name = c.get("name").asText();
        ModelConfig config = ModelConfigJson.parse(c.get("config").toString());
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(name + ".safetensors"))) {
            Map<String, float[]> params = new LinkedHashMap<>();
            for (String tensor : WeightLayout.of(config).shapes().keySet()) {
                if (st.tensors().containsKey("param." + tensor)) {
                    params.put(tensor, st.readFloats("param." + tensor));
                }
            }
            ModelWeights weights = new ModelWeights(config, params);
            int batch = c.get("batch").asInt();
            int n = c.get("seq_len").asInt();
            long[] flat = st.readLongs("tokens");
            int[][] tokens = new int[batch][n];
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < n; p++) {
                    tokens[b][p] = (int) flat[b * n + p];
                }
            }
            BatchGradient.Result got = BatchGradient.compute(weights, tokens, chunk);
            double loss = c.get("loss").asDouble();
            assertThat(got.loss()).as(name + " loss").isCloseTo(loss, org.assertj.core.data.Offset.offset(1e-4 * loss));
            List<String> bad = new ArrayList<>();
            int tensors = 0;
            for (String tensor : got.grads().names()) {
                float[] expected = st.readFloats("grad." + tensor);
                float[] actual = got.grads().get(tensor);
                double max = 0;
                for (float v : expected) {
                    max = Math.max(max, Math.abs(v));
                }
                double tol = 1e-5 + 1e-3 * max;
                for (int i = 0; i < expected.length; i++) {
                    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                        bad.add(tensor + "[" + i + "] got " + actual[i] + " expected " + expected[i] + " (tol " + tol + ")");
                        break;
                    }
                }
                tensors++;
            }
            assertThat(bad).as(name + ", chunk " + chunk).isEmpty();
            assertThat(tensors).isEqualTo((int) st.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count());
        }
    }
}

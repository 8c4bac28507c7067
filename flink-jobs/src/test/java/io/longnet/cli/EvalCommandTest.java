package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** longnet eval as a user runs it: a model directory and a source tree in, a table, a report and a plot out. */
class EvalCommandTest {

    @TempDir
    Path dir;

    @Test
    void reportsBitsPerBytePositionBucketsAndTheRecallProbe() throws Exception {
        Path model = tinyBytesModel();
        Path data = Path.of("src", "main", "java", "io", "longnet").toAbsolutePath();
        Path report = dir.resolve("eval.json");
        Path plot = dir.resolve("eval.png");

        EvalCommand.run(List.of("--model", model.toString(), "--data", data.toString(), "--held-out", "cluster,demo",
                "--packages", "2", "--max-tokens", "5000", "--chunk", "512", "--probe-files", "1",
                "--probe-bytes", "1000-6000", "--distances", "0,300", "--report", report.toString(),
                "--plot", plot.toString(), "--threads", "1"));

        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("held_out_packages").toString()).isEqualTo("[\"cluster\",\"demo\"]");
        List<Long> targets = new ArrayList<>();
        json.get("by_position").forEach(b -> targets.add(b.get("targets").asLong()));
        // the first 5000 positions of each of the two streams
        assertThat(targets).containsExactly(2 * 1024L, 2 * 3072L, 2 * (5000L - 4096L), 0L, 0L);
        // Random weights: every byte costs about log2(257) bits, wherever it is and however often seen.
        JsonNode first = json.get("by_position").get(0);
        assertThat(first.get("bits_per_byte").asDouble()).isCloseTo(8.0, within(0.5));
        JsonNode probes = json.get("recall_probe");
        assertThat(probes).hasSize(2);
        assertThat(probes.get(0).get("distance").asLong()).isZero();
        assertThat(probes.get(1).get("distance").asLong()).isEqualTo(300);
        assertThat(probes.get(0).get("file").asText()).endsWith(".java");
        assertThat(probes.get(1).get("first_bits_per_byte").asDouble())
                .isEqualTo(probes.get(0).get("first_bits_per_byte").asDouble()); // same file at the stream's start
        assertThat(probes.get(1).get("second_bits_per_byte").asDouble()).isCloseTo(8.0, within(0.5));
        assertThat(Files.size(plot)).isGreaterThan(1000);
    }

    @Test
    void aProbeSizeRangeIsCheckedAndMustFindAFile() throws Exception {
        Path model = tinyBytesModel();
        Path data = Path.of("src", "main", "java", "io", "longnet").toAbsolutePath();

        assertThat(Main.run(new String[] {"eval", "--model", model.toString(), "--data", data.toString(),
                "--probe-bytes", "9-3"})).isEqualTo(2);
        assertThatThrownBy(() -> EvalCommand.byteRange("2k-8k")).hasMessageContaining("--probe-bytes must be MIN-MAX");
        assertThatThrownBy(() -> EvalCommand.run(List.of("--model", model.toString(), "--data", data.toString(),
                "--held-out", "demo", "--packages", "1", "--max-tokens", "600", "--probe-bytes", "1-2")))
                .hasMessageContaining("no held-out file of --probe-bytes 1-2 bytes");
        assertThat(EvalCommand.byteRange("300-900")).containsExactly(300, 900);
    }

    private Path tinyBytesModel() throws Exception {
        Path model = dir.resolve("model");
        ModelDirectory.save(model, ModelInit.random(ModelConfigJson.parse("{\"vocab_size\": 257, "
                + "\"decoder_embed_dim\": 16, \"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, "
                + "\"decoder_layers\": 1, \"segment_length\": [16, 64], \"dilated_ratio\": [1, 4], "
                + "\"share_decoder_input_output_embed\": true}"), 7));
        Path config = model.resolve(ModelDirectory.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\"longnet_tokenizer\": \"bytes\", "));
        return model;
    }
}

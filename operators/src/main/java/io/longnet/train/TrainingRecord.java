package io.longnet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a model directory's weights were trained: {@value #FILE} beside config.json, written by {@code train} and
 * read by {@code demo} to say TRAINED and with which held-out figure. A model without it (random weights from
 * {@code init}, a converted torchscale checkpoint) is simply not described.
 *
 * @param data the corpus trained on, as given to {@code --data}
 * @param heldOut package prefixes never trained on; the held-out figures are measured on them
 * @param steps optimizer steps taken
 * @param tokens training tokens consumed
 * @param trainBitsPerToken the last step's loss in bits per token, or null if unknown
 * @param heldOutBitsPerByte held-out bits per byte of text, or null if no held-out evaluation ran
 * @param heldOutTokens tokens the held-out figure was measured on (0 with no figure)
 */
public record TrainingRecord(String data, List<String> heldOut, long steps, long tokens, Double trainBitsPerToken,
                             Double heldOutBitsPerByte, long heldOutTokens) {

    public static final String FILE = "training.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainingRecord {
        if (data == null || data.isEmpty()) {
            throw new IllegalArgumentException(FILE + ": data must be named");
        }
        if (steps < 0 || tokens < 0 || heldOutTokens < 0) {
            throw new IllegalArgumentException(FILE + ": steps, tokens and held_out_tokens must be >= 0, got "
                    + steps + ", " + tokens + ", " + heldOutTokens);
        }
        finiteOrNull("train_bits_per_token", trainBitsPerToken);
        finiteOrNull("held_out_bits_per_byte", heldOutBitsPerByte);
        heldOut = List.copyOf(heldOut);
    }

    /** The record of a finished {@code train} run. */
    public static TrainingRecord of(TrainConfig config, Trainer.Summary summary) {
        Trainer.Evaluation eval = summary.heldOut();
        return new TrainingRecord(config.data().toString(), config.heldOut(), summary.steps(), summary.tokens(),
                Double.isNaN(summary.trainLoss()) ? null : summary.trainLoss() / Math.log(2),
                eval == null ? null : eval.bitsPerByte(), eval == null ? 0 : eval.tokens());
    }

    public void write(Path modelDir) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("data", data);
        heldOut.forEach(node.putArray("held_out")::add);
        node.put("steps", steps).put("tokens", tokens);
        node.put("train_bits_per_token", trainBitsPerToken);
        node.put("held_out_bits_per_byte", heldOutBitsPerByte);
        node.put("held_out_tokens", heldOutTokens);
        Files.writeString(modelDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }

    /** The directory's record, if it has one; a record that does not parse is an error naming the file. */
    public static Optional<TrainingRecord> read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            List<String> heldOut = new ArrayList<>();
            node.path("held_out").forEach(p -> heldOut.add(p.asText()));
            return Optional.of(new TrainingRecord(required(node, "data", file).asText(), heldOut,
                    required(node, "steps", file).asLong(), required(node, "tokens", file).asLong(),
                    nullableDouble(node, "train_bits_per_token"), nullableDouble(node, "held_out_bits_per_byte"),
                    node.path("held_out_tokens").asLong(0)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + " is not a training record: " + e.getMessage(), e);
        }
    }

    private static JsonNode required(JsonNode node, String key, Path file) {
        if (!node.hasNonNull(key)) {
            throw new IllegalArgumentException("missing \"" + key + "\"");
        }
        return node.get(key);
    }

    private static Double nullableDouble(JsonNode node, String key) {
        return node.hasNonNull(key) ? node.get(key).asDouble() : null;
    }

    private static void finiteOrNull(String key, Double value) {
        if (value != null && !Double.isFinite(value)) {
            throw new IllegalArgumentException(FILE + ": " + key + " must be finite or absent, got " + value);
        }
    }
}

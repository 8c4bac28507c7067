package io.longnet.kafka;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Function;

/**
 * The one ObjectMapper of the wire formats, and the field readers they share. Every reader
 * failure is a {@link WireFormatException} whose message names the field and what was found.
 */
final class WireJson {
    static final int VERSION = 1;
    static final String VERSION_FIELD = "v";

    // Duplicate keys and trailing garbage make a record ambiguous: reject rather than guess.
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private WireJson() {
    }

    /** A new JSON object that already carries {@code "v": 1}. */
    static ObjectNode newRecord() {
        return MAPPER.createObjectNode().put(VERSION_FIELD, VERSION);
    }

    static byte[] toBytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new WireFormatException(WireError.INVALID_VALUE, "cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads one of our own output records: it must be a JSON object with {@code "v": 1}. Every
     * failure, including a value the record's constructor refuses, becomes a WireFormatException
     * whose message starts with "cannot read {type}".
     */
    static <T> T readRecord(String type, byte[] json, Function<ObjectNode, T> reader) {
        try {
            ObjectNode node = readObject(json);
            checkVersion(node, true);
            return reader.apply(node);
        } catch (WireFormatException e) {
            throw e.in(type);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(WireError.INVALID_VALUE, "cannot read " + type + ": " + e.getMessage(), e);
        }
    }

    /** Strict UTF-8 -> JSON -> object, in that order, each step with its own error kind. */
    static ObjectNode readObject(byte[] raw) {
        if (raw == null) {
            throw new WireFormatException(WireError.NO_VALUE, "record has no value (null)");
        }
        JsonNode node = parseJson(decodeUtf8(raw));
        if (!node.isObject()) {
            throw new WireFormatException(WireError.NOT_OBJECT,
                    "not a JSON object: the top-level value is " + describe(node));
        }
        return (ObjectNode) node;
    }

    static String decodeUtf8(byte[] raw) {
        // A fresh decoder per call: decoders are stateful, and REPORT (not the default REPLACE)
        // is what turns a bad byte into an error instead of a silent U+FFFD.
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(raw);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new WireFormatException(WireError.NOT_UTF8,
                    "not valid UTF-8: malformed byte sequence at byte offset " + in.position(), e);
        }
    }

    private static JsonNode parseJson(String text) {
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new WireFormatException(WireError.NOT_JSON, "not valid JSON: " + jacksonProblem(e), e);
        }
        if (node == null || node.isMissingNode()) {
            throw new WireFormatException(WireError.NOT_JSON, "not valid JSON: no content");
        }
        return node;
    }

    private static String jacksonProblem(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return e.getOriginalMessage() + where;
    }

    /** Checks {@code "v"}; a missing one is accepted only where {@code required} is false. */
    static void checkVersion(ObjectNode node, boolean required) {
        JsonNode v = node.get(VERSION_FIELD);
        if (v == null) {
            if (required) {
                throw missing(VERSION_FIELD);
            }
            return;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(VERSION_FIELD, "an integer", v);
        }
        if (v.intValue() != VERSION) {
            throw new WireFormatException(WireError.UNSUPPORTED_VERSION,
                    "unsupported format version v=" + v.intValue() + " (this reader understands v=" + VERSION + ")");
        }
    }

    static JsonNode required(ObjectNode node, String field, String name) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw missing(name);
        }
        return value;
    }

    static String requiredString(ObjectNode node, String field) {
        return string(required(node, field, field), field);
    }

    /** An absent field and an explicit JSON null both mean "not given". */
    static String optionalString(ObjectNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : string(value, field);
    }

    static String string(JsonNode value, String name) {
        if (!value.isTextual()) {
            throw wrongType(name, "a string", value);
        }
        String text = value.textValue();
        int bad = firstUnpairedSurrogate(text);
        if (bad >= 0) {
            // JSON escapes (\ud800) can smuggle in text that no UTF-8 encoder can write back out.
            throw new WireFormatException(WireError.INVALID_VALUE, String.format(
                    "field '%s' is not valid Unicode: unpaired surrogate U+%04X at char index %d",
                    name, (int) text.charAt(bad), bad));
        }
        return text;
    }

    static String nonEmpty(String value, String name) {
        if (value.isEmpty()) {
            throw new WireFormatException(WireError.EMPTY_FIELD, "field '" + name + "' is empty");
        }
        return value;
    }

    static long requiredLong(ObjectNode node, String field) {
        return longValue(required(node, field, field), field);
    }

    static Long optionalLong(ObjectNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : longValue(value, field);
    }

    static long longValue(JsonNode value, String name) {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw wrongType(name, "an integer (64-bit)", value);
        }
        return value.longValue();
    }

    static int requiredInt(ObjectNode node, String field) {
        return intValue(required(node, field, field), field);
    }

    static int intValue(JsonNode value, String name) {
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw wrongType(name, "an integer (32-bit)", value);
        }
        return value.intValue();
    }

    static double requiredDouble(ObjectNode node, String field) {
        return doubleValue(required(node, field, field), field);
    }

    static double doubleValue(JsonNode value, String name) {
        if (!value.isNumber()) {
            throw wrongType(name, "a number", value);
        }
        return value.doubleValue();
    }

    static ArrayNode requiredArray(ObjectNode node, String field) {
        JsonNode value = required(node, field, field);
        if (!value.isArray()) {
            throw wrongType(field, "an array", value);
        }
        return (ArrayNode) value;
    }

    static ObjectNode object(JsonNode value, String name) {
        if (!value.isObject()) {
            throw wrongType(name, "an object", value);
        }
        return (ObjectNode) value;
    }

    static <T> T readAs(byte[] json, Class<T> type) {
        try {
            return MAPPER.readerFor(type)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(json);
        } catch (IOException e) {
            throw new WireFormatException(WireError.NOT_JSON, "cannot bind " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    static WireFormatException missing(String name) {
        return new WireFormatException(WireError.MISSING_FIELD, "missing required field '" + name + "'");
    }

    static WireFormatException wrongType(String name, String expected, JsonNode found) {
        return new WireFormatException(WireError.WRONG_TYPE,
                "field '" + name + "' must be " + expected + " but is " + describe(found));
    }

    /** The JSON type of a node, with the literal for short scalars (never for strings). */
    static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NULL -> "null";
            case BOOLEAN -> "a boolean (" + node.asText() + ")";
            case NUMBER -> (node.isIntegralNumber() ? "an integer (" : "a fractional number (") + node.asText() + ")";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Index of the first surrogate char without its partner, or -1 if the text is well-formed. */
    static int firstUnpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}

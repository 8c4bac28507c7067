package io.longnet.heads;

import java.util.Arrays;
import java.util.Locale;

/** How a document's feature rows become one embedding (setting {@code pooling}). */
public enum Pooling {
    /** Mean of the feature rows of all the document's tokens. */
    MEAN("mean", (byte) 1),
    /** Feature row of the document's last token (it has seen the whole document). */
    LAST("last", (byte) 2);

    private final String configName;
    private final byte wireCode; // explicit, so reordering the constants never changes stored state

    Pooling(String configName, byte wireCode) {
        this.configName = configName;
        this.wireCode = wireCode;
    }

    public String configName() {
        return configName;
    }

    byte wireCode() {
        return wireCode;
    }

    /** Parses "mean" or "last" (case-insensitive, surrounding blanks ignored). */
    public static Pooling parse(String value) {
        String name = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        for (Pooling p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("pooling must be one of "
                + Arrays.stream(values()).map(Pooling::configName).toList() + ", got '" + value + "'");
    }

    static Pooling fromWireCode(byte code) {
        for (Pooling p : values()) {
            if (p.wireCode == code) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling code " + code + " in stored document state");
    }
}

package io.longnet.model;

import java.util.Locale;

/** Which local row a head starts keeping from, in a branch with dilation ratio r (spec section 2). */
public enum HeadOffsetRule {
    /** torchscale's rule, the default: heads form r consecutive groups of G = ceil(H / r); o_h = floor(h / G). */
    GROUPED,
    /** The paper's text: o_h = h mod r. */
    MODULO;

    public int offset(int head, int heads, int dilatedRatio) {
        return switch (this) {
            case GROUPED -> head / ((heads + dilatedRatio - 1) / dilatedRatio);
            case MODULO -> head % dilatedRatio;
        };
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static HeadOffsetRule fromJson(String key, String value) {
        for (HeadOffsetRule rule : values()) {
            if (rule.jsonName().equals(value)) {
                return rule;
            }
        }
        throw new IllegalArgumentException(key + " must be \"grouped\" or \"modulo\", got \"" + value + "\"");
    }
}

package io.longnet.model;

/** Feed-forward activations torchscale offers (activation_fn). GELU is the exact erf form. */
public enum Activation {
    GELU("gelu"), RELU("relu"), SWISH("swish");

    private final String jsonName;

    Activation(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Activation fromJson(String value) {
        for (Activation a : values()) {
            if (a.jsonName.equals(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("activation_fn \"" + value + "\" is not supported (gelu, relu, swish)");
    }
}

package io.longnet.kafka;

import java.util.Objects;

/** The result of {@link DocumentParser#parse(byte[])}: a valid document or the reason it was rejected. */
public sealed interface ParseOutcome permits ParseOutcome.Valid, ParseOutcome.Rejected {

    boolean isValid();

    static ParseOutcome valid(Document document) {
        return new Valid(document);
    }

    static ParseOutcome rejected(WireError error, String reason) {
        return new Rejected(error, reason);
    }

    /** The raw bytes held a valid v1 document. */
    record Valid(Document document) implements ParseOutcome {
        public Valid {
            Objects.requireNonNull(document, "document");
        }

        @Override
        public boolean isValid() {
            return true;
        }
    }

    /**
     * The raw bytes were rejected.
     *
     * @param error  the kind of problem, for metrics and tests
     * @param reason a human-readable sentence naming the problem, for the dead-letter record
     */
    record Rejected(WireError error, String reason) implements ParseOutcome {
        public Rejected {
            Objects.requireNonNull(error, "error");
            Checks.nonEmpty(reason, "reason");
        }

        @Override
        public boolean isValid() {
            return false;
        }
    }
}

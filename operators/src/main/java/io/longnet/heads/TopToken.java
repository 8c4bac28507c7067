package io.longnet.heads;

/**
 * One of the most likely next tokens.
 *
 * @param tokenId the token id (index into the logits row)
 * @param logit the raw logit
 * @param probability softmax probability of the token over the whole row
 */
public record TopToken(int tokenId, float logit, double probability) {
}

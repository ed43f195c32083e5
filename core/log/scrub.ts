/**
 * The one list of secret values that no output may contain. The build log and the debug logger
 * share it, so a secret a plugin learns late (a password read from CODER_DOCKER_CONFIG) is hidden
 * from both at once.
 */
export class SecretScrubber {
  private secrets: string[] = [];

  /** Short values are skipped: hiding "abc" everywhere would garble every line and hide nothing. */
  add(values: readonly string[]): void {
    this.secrets = [...new Set([...this.secrets, ...values.filter((v) => v.length >= 4)])];
  }

  /** Replaces each secret, as written and as it appears inside a JSON string, with `[redacted]`. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      out = out.split(secret).join('[redacted]');
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.split(escaped).join('[redacted]');
    }
    return out;
  }
}

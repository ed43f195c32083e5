/**
 * The one list of secret values that no output may contain. The build log and the debug logger
 * share it, so a secret a plugin learns late (a password read from CODER_DOCKER_CONFIG) is hidden
 * from both at once.
 */
export class SecretScrubber {
  private secrets: string[] = [];

  /**
   * Short values are skipped: hiding "abc" everywhere would garble every line and hide nothing.
   * (`plan` hides short secrets anyway: it redacts the fields that hold them, whatever their length.)
   */
  add(values: readonly string[]): void {
    const forms = values.filter((v) => v.length >= 4).flatMap(writtenForms);
    // Longest first, so that a form that contains another is replaced whole.
    this.secrets = [...new Set([...this.secrets, ...forms])].sort((a, b) => b.length - a.length);
  }

  /** Replaces each secret, in every form it is written in (see writtenForms), with `[redacted]`. */
  scrub(text: string): string {
    let out = text;
    for (const form of this.secrets) out = out.split(form).join('[redacted]');
    return out;
  }
}

/**
 * The ways a secret reaches output: as it is; inside a JSON string, once or twice (a password in a
 * forwarded docker config, printed in the plan's Env); and as base64 or base64url (an
 * X-Registry-Auth header, a basic-auth value), padded or not.
 */
export function writtenForms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const base64url = Buffer.from(secret, 'utf8').toString('base64url');
  return [...new Set([secret, once, twice, base64, base64.replace(/=+$/, ''), base64url])].filter((form) => form.length >= 4);
}

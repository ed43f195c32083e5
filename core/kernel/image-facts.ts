import './zod-config.js';
import * as z from 'zod';

/** What envbox learns from the workspace image before it creates the container. */
export const imageFactsSchema = z.object({
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  home: z.string().startsWith('/'),
  hasInit: z.boolean(),
  osReleaseId: z.string().min(1),
}).strict();

export type ImageFacts = z.infer<typeof imageFactsSchema>;

/** The largest id Linux gives a user or group: 2^32 - 1 is (uid_t)-1, which means "no id". */
const MAX_HOST_ID = 2 ** 32 - 2;

/**
 * Under userns-remap the image's uid and gid become `offset + id` on the host (the owner of a
 * chowned home, for one). Past MAX_HOST_ID that id does not exist, so nothing could own the files.
 */
export function hostIdProblem(facts: Pick<ImageFacts, 'uid' | 'gid'>, offset: number): string | null {
  for (const [field, id] of [['uid', facts.uid], ['gid', facts.gid]] as const) {
    if (offset + id > MAX_HOST_ID) {
      return `the ${field} ${id} plus ENVBOX_ID_OFFSET ${offset} is ${offset + id}, beyond the largest host id Linux has (${MAX_HOST_ID})`;
    }
  }
  return null;
}

import { z } from 'zod';

/** What envbox learns from the workspace image before it creates the container. */
export const imageFactsSchema = z.object({
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  home: z.string().startsWith('/'),
  hasInit: z.boolean(),
  osReleaseId: z.string().min(1),
}).strict();

export type ImageFacts = z.infer<typeof imageFactsSchema>;

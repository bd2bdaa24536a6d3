// Writes the tests' expectations (rules/rulestest: "want RULE PATTERN")
// into a recording of rec.mjs: the provider module's want for the story on
// the last callback the app refused, else in the log's comment. rec.mjs
// calls annotate; run alone it rewrites the comments of recordings already
// made (how they got them after the rules were written):
//   node wants.mjs PROVIDER.mjs PREFIX STORY ...   (rewrites PREFIX-STORY.har)
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function annotate(har, op, story) {
  const want = op.wants?.[story];
  for (const e of har.log.entries) delete e.comment;
  delete har.log.comment;
  if (!want) return;
  const callback = `http://localhost:${op.appPort}/callback?`;
  const refused = har.log.entries.filter((e) => e.request.url.startsWith(callback) && e.response.status >= 400);
  if (refused.length) refused.at(-1).comment = want;
  else har.log.comment = want;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mod, prefix, ...stories] = process.argv.slice(2);
  const op = await import(resolve(mod));
  for (const story of stories) {
    const f = `${prefix}-${story}.har`;
    const har = JSON.parse(readFileSync(f, 'utf8'));
    annotate(har, op, story);
    writeFileSync(f, JSON.stringify(har, null, 1) + '\n');
  }
}

// A fediverse peer built on Fedify, for the federation tests: one actor ("peer") on loopback.
// Fedify verifies every signature the blog sends it and signs what it sends the blog.
// Control addresses (/control/...) let a test make it act and read what it received.
// It serves HTTPS with the certificate and key named by PEER_CERT and PEER_KEY; the test's CA
// reaches Node's own requests through NODE_EXTRA_CA_CERTS.
import { readFileSync } from "node:fs";
import https from "node:https";
import {
  Accept,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  MemoryKvStore,
  Note,
  Person,
  Undo,
  Update,
  createFederation,
  generateCryptoKeyPair,
  getNodeInfo,
} from "@fedify/fedify";

const federation = createFederation({
  kv: new MemoryKvStore(),
  // The blog under test runs on 127.0.0.1; Fedify refuses private addresses otherwise.
  allowPrivateAddress: true,
});
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const received = [];

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify Peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      url: ctx.getActorUri(identifier),
      publicKey: pairs[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async (ctx, identifier) => (identifier === "peer" ? [keys] : []));

async function record(ctx, activity) {
  // Reached only once Fedify has verified the HTTP Signature against the sender's key.
  received.push(await activity.toJsonLd({ contextLoader: ctx.contextLoader }));
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, record)
  .on(Create, record)
  .on(Update, record)
  .on(Delete, record);

async function control(request) {
  const url = new URL(request.url);
  const ctx = federation.createContext(request, undefined);
  const me = ctx.getActorUri("peer");
  if (url.pathname === "/control/received") return Response.json(received);
  if (url.pathname === "/control/nodeinfo") {
    // Fedify's own strict NodeInfo parser: undefined when the document is not valid.
    const info = await getNodeInfo(url.searchParams.get("site"), { parse: "strict" });
    return Response.json(info === undefined ? null : {
      software: info.software.name,
      protocols: info.protocols,
      localPosts: info.usage.localPosts,
    });
  }
  if (request.method !== "POST") return new Response("not found", { status: 404 });
  const args = await request.json();
  const target = await ctx.lookupObject(args.actor);
  if (target === null) return new Response(`cannot look up ${args.actor}`, { status: 502 });
  let activity;
  const id = new URL(`${me.href}#${url.pathname.split("/").pop()}-${Date.now()}`);
  if (url.pathname === "/control/follow") {
    activity = new Follow({ id, actor: me, object: target.id });
  } else if (url.pathname === "/control/unfollow") {
    const follow = new Follow({ id: new URL(args.follow), actor: me, object: target.id });
    activity = new Undo({ id, actor: me, object: follow });
  } else if (url.pathname === "/control/like") {
    activity = new Like({ id, actor: me, object: new URL(args.object) });
  } else if (url.pathname === "/control/reply") {
    const note = new Note({
      id: new URL(`${me.href}/notes/${Date.now()}`),
      attributedTo: me,
      content: args.content,
      replyTarget: new URL(args.inReplyTo),
      to: target.id,
    });
    activity = new Create({ id, actor: me, object: note, to: target.id });
  } else {
    return new Response("not found", { status: 404 });
  }
  await ctx.sendActivity({ identifier: "peer" }, target, activity);
  return Response.json({ sent: activity.id.href });
}

async function handle(request) {
  if (new URL(request.url).pathname.startsWith("/control/")) return control(request);
  return federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => new Response("not found", { status: 404 }),
    onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
  });
}

const tls = {
  cert: readFileSync(process.env.PEER_CERT),
  key: readFileSync(process.env.PEER_KEY),
};
const server = https.createServer(tls, async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const request = new Request(`https://${req.headers.host}${req.url}`, {
    method: req.method,
    headers: req.headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  let response;
  try {
    response = await handle(request);
  } catch (error) {
    response = new Response(String(error?.stack ?? error), { status: 500 });
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, "127.0.0.1", () => {
  // The test reads this line to learn the port.
  console.log(`listening ${server.address().port}`);
});

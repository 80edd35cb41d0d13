/** Catalog entries of the "Microservice patterns" section, in the order its notebook teaches them. */
import type { PatternEntry } from "../types";

const NOTEBOOK = "01-microservices.sdenb";

/** The paths and ids every microservices entry derives from its id. */
function faces(id: string) {
  return { notebook: { file: NOTEBOOK, cell: id }, snippet: `snippets/${id}.ts`, diagram: `media/diagrams/${id}.mmd`, challenge: id } as const;
}

export const microservices: readonly PatternEntry[] = [
  {
    id: "api-gateway",
    section: "microservices",
    title: "API gateway",
    summary: "One front door for outside clients: authenticate, authorise, rate-limit, route and time out in one place.",
    whenToUse: [
      "Several services face outside clients and each would otherwise repeat auth, quotas and TLS.",
      "You want one place to log, meter and version the public API.",
      "Clients should not know how the backend is split into services.",
    ],
    whenNotToUse: [
      "There is one backend: the gateway is only an extra hop.",
      "For service-to-service traffic inside the cluster, where a mesh or client libraries fit better.",
      "When teams start putting business rules into it: it becomes a shared monolith every release waits on.",
    ],
    explanation: [
      "Outside clients talk to one address. For every request the gateway runs the same checks, in order:",
      "",
      "1. **Authenticate**: a missing or invalid key or token gives `401`.",
      "2. **Authorise**: a known caller without the needed scope gives `403`.",
      "3. **Rate limit**: a caller over its quota gives `429` with a `Retry-After` header.",
      "4. **Route**: no route for the path gives `404`.",
      "5. **Forward** with a per-route timeout: `504` when the service is too slow, `502`/`503` when it cannot be reached.",
      "",
      "Doing this once at the edge keeps every service free of the same boilerplate, and the ordering matters: rejecting an unauthenticated request before it spends a rate-limit token or a backend call is cheaper and safer.",
      "",
      "Real gateways differ in the details. Kong, NGINX and Envoy configure these steps as plugins or filters; some products match the route before authenticating (so an unknown path is `404` even without a key), and AWS API Gateway answers `403` rather than `401` when an API key is missing.",
    ].join("\n"),
    interview: {
      answer:
        "An API gateway is the single entry point between outside clients and a set of services. It takes the cross-cutting work off the services: it authenticates the caller, checks that the caller may use the route, applies rate limits and quotas, routes the request to the right service, and enforces a timeout, returning 401, 403, 429, 404 or 504 as each check fails. It can also terminate TLS, aggregate several backend calls into one response and translate protocols. The benefits are one place for security and observability, and clients that do not depend on how the backend is split. The costs are an extra network hop, a component that must be highly available and scaled, and a risk of it turning into a shared monolith if business logic creeps in. I keep it thin: policies and routing only, owned by a platform team, with per-route timeouts shorter than the client's.",
      followUps: [
        {
          question: "How do you keep the gateway from becoming a single point of failure?",
          answer:
            "Run several stateless instances behind a load balancer across zones, keep shared state (rate-limit counters, keys) in a replicated store or accept per-instance limits, and give it tight timeouts and circuit breakers towards services so one slow backend cannot exhaust its connections.",
        },
        {
          question: "Where should authorisation live: at the gateway or in the services?",
          answer:
            "Coarse checks (is the token valid, does it carry the scope for this route) belong at the gateway; fine-grained rules about a specific resource (may this user see order 42) belong in the service that owns the data, because only it knows the answer. The gateway forwards the verified identity.",
        },
        {
          question: "What is the difference between an API gateway and a service mesh?",
          answer:
            "A gateway handles north-south traffic: outside clients into the system, with API keys, quotas and public routing. A mesh handles east-west traffic between services with sidecar proxies: mTLS, retries, timeouts and telemetry on every internal call. Many systems use both.",
        },
      ],
    },
    exports: ["Simulation", "ApiGateway", "TokenBucket", "ok", "request", "table"],
    related: ["rate-limiting", "bff", "timeout", "sidecar"],
    ...faces("api-gateway"),
  },
  {
    id: "rate-limiting",
    section: "microservices",
    title: "Rate limiting",
    summary: "Cap how fast each client may call: token bucket, leaky bucket, fixed window, sliding log and sliding counter compared.",
    whenToUse: [
      "Protect a service or a paid API from one client using all of its capacity.",
      "Enforce per-plan quotas and answer 429 with Retry-After so well-behaved clients back off.",
      "Smooth bursts in front of a backend that cannot absorb them.",
    ],
    whenNotToUse: [
      "As the only overload protection: a limit per client does not stop many clients together (add load shedding and bulkheads).",
      "With exact global limits across many gateway instances when an approximate local limit would do: shared counters add a network call per request.",
    ],
    explanation: [
      "A rate limiter decides per client whether a request may pass now. The five common algorithms trade burst tolerance, accuracy and memory:",
      "",
      "| algorithm | idea | bursts | memory per client |",
      "| --- | --- | --- | --- |",
      "| token bucket | tokens refill at a rate up to a capacity; a request takes one | up to the capacity | two numbers |",
      "| leaky bucket | requests leave at a constant rate; a queue absorbs a little | smoothed to the rate | a queue |",
      "| fixed window | count per calendar window | up to twice the limit across a boundary | one counter |",
      "| sliding window log | keep every timestamp of the last window | exact | one entry per request |",
      "| sliding window counter | weight the previous window's count by its overlap | approximate | two counters |",
      "",
      "AWS API Gateway throttles with a token bucket (a rate and a burst); NGINX's `limit_req` is a leaky bucket whose `burst` is the queue and `nodelay` lets queued requests through at once. A rejected request should get `429 Too Many Requests` and a `Retry-After` header so clients know when to come back.",
      "",
      "The lab's limiters run in one process; a real fleet of gateways either keeps counters in a shared store such as Redis or accepts a limit per instance.",
    ].join("\n"),
    interview: {
      answer:
        "Rate limiting caps how many requests a client may make per unit of time, so one client cannot starve the others or run up cost. The classic algorithm is the token bucket: each client has a bucket that refills at a fixed rate up to a capacity, and a request spends a token, so short bursts up to the capacity pass while the long-run rate is bounded. A leaky bucket instead releases requests at a constant rate and smooths bursts. Fixed windows are cheap but let through up to twice the limit around a window boundary; a sliding log is exact but stores every timestamp; a sliding window counter approximates the log with two counters. Rejections return 429 with Retry-After. In a distributed deployment I keep counters in a fast shared store, or accept per-node limits, and I limit by the authenticated client rather than by IP where I can.",
      followUps: [
        {
          question: "Why can a fixed window let through twice the limit?",
          answer:
            "Counts reset at the boundary: a client can send the full limit in the last moment of one window and the full limit again at the start of the next, so within a short span it gets two limits' worth. Sliding windows close that gap.",
        },
        {
          question: "How would you rate-limit across twenty gateway instances?",
          answer:
            "Keep the bucket or counter in Redis with an atomic script per request, or split the limit across instances (limit / 20 each) when traffic is spread evenly, or combine a local limiter with periodic synchronisation. The trade is accuracy against a network round trip per request.",
        },
        {
          question: "What should a client do when it receives a 429?",
          answer:
            "Wait at least the Retry-After interval, then retry with exponential backoff and jitter, and never retry immediately in a loop. For non-idempotent calls it must use an idempotency key so a retry cannot apply twice.",
        },
      ],
    },
    exports: ["TokenBucket", "LeakyBucket", "FixedWindow", "SlidingWindowLog", "SlidingWindowCounter", "compareLimiters", "burstAt", "steadyArrivals"],
    related: ["api-gateway", "retry-backoff", "bulkhead"],
    ...faces("rate-limiting"),
  },
  {
    id: "bff",
    section: "microservices",
    title: "Backend for frontend (BFF)",
    summary: "A small backend per kind of client that aggregates calls and trims answers to what that client's screens need.",
    whenToUse: [
      "Clients with clearly different needs: a phone on a slow link, a desktop web app, partner APIs.",
      "A team owns a client end to end and wants to change its API without a shared gateway release.",
      "A screen needs data from several services and the client should make one round trip.",
    ],
    whenNotToUse: [
      "There is one kind of client: one API is simpler.",
      "The BFFs start copying business rules; shared logic belongs in the services.",
      "You cannot afford to run and monitor one more service per client kind.",
    ],
    explanation: [
      "One general API serves every client the same shape, so a phone downloads fields it never shows and makes several sequential round trips over a slow link, or the shared API grows `if (mobile)` branches.",
      "",
      "A **backend for frontend** gives each client kind its own thin backend, owned by the team that builds the client. For each screen it fans out to the services in parallel, keeps only the fields the screen shows, and returns one response. An optional part (recommendations) that fails or is slow is left out rather than failing the screen.",
      "",
      "The pattern was described by Sam Newman from SoundCloud's experience. GraphQL servers are often used the same way: the client asks for exactly the fields of its screen.",
    ].join("\n"),
    interview: {
      answer:
        "A backend for frontend is a server-side component dedicated to one kind of client, such as the iOS app or the web app. Instead of one general-purpose API that every client must adapt to, each client team owns a thin backend that exposes exactly what its screens need: it calls the underlying services in parallel, aggregates the results, drops fields the client does not show, and can degrade gracefully by omitting optional parts. The mobile client then makes one small request per screen instead of several large ones, which matters on high-latency links. The costs are more services to run, and the temptation to duplicate business logic across BFFs; the rule is that BFFs do composition and shaping, while domain rules stay in the services. I would introduce BFFs when clients really diverge and separate teams own them, not by default.",
      followUps: [
        {
          question: "How is a BFF different from an API gateway?",
          answer:
            "A gateway is shared and generic: auth, quotas, routing for all clients. A BFF is client-specific and owns the shape of responses for its screens. They are often layered: gateway at the edge, then a BFF per client behind it.",
        },
        {
          question: "What happens when one of the services behind a BFF is slow?",
          answer:
            "The BFF should call services in parallel with per-call timeouts, mark non-essential parts optional so the screen renders without them, and protect itself with circuit breakers so a slow dependency does not hold its workers.",
        },
        {
          question: "Could GraphQL replace BFFs?",
          answer:
            "Partly: a GraphQL layer lets each client ask for exactly the fields it needs through one endpoint, which removes much of the shaping code. Teams still add per-client concerns (persisted queries, caching, auth flows), and some run one GraphQL server per client, which is a BFF again.",
        },
      ],
    },
    exports: ["Simulation", "BackendForFrontend", "ok", "table"],
    related: ["api-gateway", "timeout", "circuit-breaker"],
    ...faces("bff"),
  },
  {
    id: "client-side-discovery",
    section: "microservices",
    title: "Client-side service discovery",
    summary: "Instances register with a registry; each client caches the list and picks an instance itself (Eureka, Consul).",
    whenToUse: [
      "You control the clients (one language, a shared library) and want the fewest hops.",
      "Clients should choose instances with their own strategy: round robin, least outstanding, zone-aware.",
    ],
    whenNotToUse: [
      "Clients are many languages or outside your control: each needs the discovery library.",
      "You already run on a platform that gives every service a stable address (Kubernetes Services, a cloud load balancer).",
    ],
    explanation: [
      "Instances come and go, so callers cannot hard-code addresses. Each instance **registers** with a registry and keeps its entry alive; each client **fetches** the list, caches it and load-balances across it directly, one hop per request.",
      "",
      "In **Eureka** an instance renews its lease every 30 s; a lease not renewed for 90 s is expired, and an eviction task removes expired leases every 60 s. Clients refetch the registry every 30 s, and the server answers reads from a response cache refreshed every 30 s, so a crashed instance can stay in clients' lists for minutes. **Self-preservation**: when fewer renewals arrive than 85 % of those expected, Eureka assumes a network problem rather than mass death and stops evicting, keeping possibly dead entries rather than dropping live ones. Eureka favours availability: registry servers replicate to each other asynchronously.",
      "",
      "**Consul** takes the other road: the agent on each node runs health checks (HTTP, TCP, TTL, script) and a failing check marks the instance critical at once, so queries return only passing instances. Its catalog is kept consistent by Raft.",
      "",
      "Either way, pair discovery with retries on another instance: the cache is always a little stale.",
    ].join("\n"),
    interview: {
      answer:
        "In client-side discovery, service instances register themselves with a registry such as Eureka or Consul and keep their registration alive with heartbeats or health checks. A client asks the registry for the instances of a service, caches the list, and chooses one itself with a load-balancing strategy such as round robin or least outstanding requests, then calls it directly. That saves a hop and lets the client be smart, for example zone-aware, but every client needs the discovery library, and its cache is stale by design. In Eureka with defaults, a crashed instance can be called for a couple of minutes: the lease is 90 seconds, eviction runs every 60, and the server and client caches each refresh every 30. Eureka also has self-preservation: if renewals drop below 85 percent of expected it stops evicting, assuming a partition. So I pair it with retries on a different instance and sensible timeouts.",
      followUps: [
        {
          question: "Why does Eureka have self-preservation, and what is its downside?",
          answer:
            "If many renewals stop at once, a network partition is more likely than all instances dying, so evicting them would empty the registry while the services are fine. The downside is that during self-preservation really dead instances stay listed, so clients must handle failed calls by retrying elsewhere.",
        },
        {
          question: "How does Consul's approach differ from Eureka's?",
          answer:
            "Consul's local agents run active health checks and mark instances critical as soon as a check fails, and the catalog is strongly consistent through Raft, so it prefers correctness. Eureka relies on client heartbeats and leases and stays available under partitions at the cost of staleness.",
        },
        {
          question: "How do you shorten the time a dead instance keeps receiving traffic?",
          answer:
            "Shorter renewal and lease intervals (at the cost of more registry load), deregistering on graceful shutdown, active health checks, and on the client side retries to another instance plus outlier ejection after a few consecutive failures.",
        },
      ],
    },
    exports: ["Simulation", "EurekaRegistry", "EurekaInstance", "DiscoveryClient", "ConsulRegistry", "ConsulInstance", "table"],
    related: ["server-side-discovery", "retry-backoff", "sidecar"],
    ...faces("client-side-discovery"),
  },
  {
    id: "server-side-discovery",
    section: "microservices",
    title: "Server-side service discovery",
    summary: "Clients call a load balancer at a fixed address; the balancer asks the registry and forwards (AWS ELB, Kubernetes Services).",
    whenToUse: [
      "Clients are many, in many languages, or outside your control.",
      "The platform already provides a balancer per service (Kubernetes Service, a cloud load balancer).",
    ],
    whenNotToUse: [
      "Latency budgets are tight and the extra hop matters.",
      "You need per-client balancing decisions the shared balancer cannot make.",
    ],
    explanation: [
      "The client knows one stable address per service. A **load balancer** behind it keeps the list of healthy instances (from a registry or the platform) and forwards each request, so clients need no discovery logic at all.",
      "",
      "Every request costs an extra hop, and the balancer is a component that must be highly available and scaled. Its view of instances is a cache too: it refreshes from the registry on an interval (or watches it), so the staleness problem of client-side discovery does not disappear, it moves into one place where it is easier to tune.",
      "",
      "Examples: AWS Elastic Load Balancing with target-group health checks, Kubernetes Services (kube-proxy programs the node to spread connections across ready pods), NGINX or HAProxy fed by Consul.",
    ].join("\n"),
    interview: {
      answer:
        "In server-side discovery the client calls a well-known address, usually a load balancer or a platform virtual IP, and that component looks up the current healthy instances and forwards the request. Instances still register, or the platform tracks them, but the discovery and balancing logic lives in one place instead of in every client. That makes clients trivial and language-agnostic, and it is what you get with an AWS load balancer in front of an auto-scaling group or a Kubernetes Service in front of pods. The costs are an extra network hop per request, a component that must itself be highly available, and less flexibility per client. Its instance list is also refreshed periodically, so it can still route to a dead instance briefly, which is why health checks and retries are still needed. I pick it when clients are diverse or external, and client-side discovery when I control the clients and care about the hop.",
      followUps: [
        {
          question: "Is a Kubernetes Service client-side or server-side discovery?",
          answer:
            "Server-side from the application's view: it calls a stable DNS name and virtual IP, and kube-proxy (or the CNI) forwards to a ready pod. The readiness probe decides which pods receive traffic.",
        },
        {
          question: "How does a load balancer learn that an instance died?",
          answer:
            "Through active health checks (it probes each target on an interval and removes it after a number of failures), through the registry or platform telling it, and through passive checks that eject a target after consecutive errors.",
        },
        {
          question: "What does the extra hop cost, and when does it matter?",
          answer:
            "Usually well under a millisecond inside a data centre plus the balancer's capacity limits. It matters for chatty call graphs with many sequential calls, or very low-latency paths, where client-side discovery or a sidecar on the same host avoids it.",
        },
      ],
    },
    exports: ["Simulation", "EurekaRegistry", "EurekaInstance", "ServerSideLoadBalancer", "table"],
    related: ["client-side-discovery", "api-gateway", "sidecar"],
    ...faces("server-side-discovery"),
  },
  {
    id: "circuit-breaker",
    section: "microservices",
    title: "Circuit breaker",
    summary: "Stop calling a failing or slow dependency: open on the failure or slow-call rate, fail fast, probe in half-open.",
    whenToUse: [
      "Around remote calls that can fail slowly, especially to dependencies you do not control.",
      "Where waiting callers hold threads or connections and slowness could cascade upstream.",
      "When a fallback exists: cached data, a default, a smaller page.",
    ],
    whenNotToUse: [
      "For local, in-process calls that cannot hang.",
      "On very low traffic: the breaker never sees enough calls to judge (resilience4j waits for 100 by default).",
      "As a substitute for timeouts: without a timeout a hung call is never counted.",
    ],
    explanation: [
      "When a dependency fails or slows down, calling it anyway makes it worse: each caller waits and holds resources, and the slowness spreads upstream (a cascading failure).",
      "",
      "A circuit breaker records the outcome of recent calls in a sliding window. In **CLOSED** state calls pass. When, after at least a minimum number of calls, the failure rate or the **slow-call rate** reaches its threshold, it goes **OPEN**: calls are rejected at once without reaching the dependency. After a wait it goes **HALF_OPEN** and lets a few trial calls through; if they are healthy it closes, otherwise it opens again.",
      "",
      "resilience4j's defaults: failure-rate threshold 50 %, slow-call rate threshold 100 % with slow meaning over 60 s, a count-based window of 100 calls, at least 100 calls before judging, 60 s open, 10 calls permitted in half-open. A slow dependency that does not fail only trips a breaker configured with a slow-call threshold, or one placed outside a timeout so slow calls become failures.",
      "",
      "An open breaker is only a faster failure unless the caller has a fallback.",
    ].join("\n"),
    interview: {
      answer:
        "A circuit breaker wraps calls to a dependency and tracks their outcomes over a sliding window. While closed, calls go through. When the failure rate, or the rate of calls slower than a threshold, exceeds a limit after a minimum number of calls, it opens and rejects calls immediately, which protects the caller's threads and gives the dependency room to recover. After a wait it goes half-open, lets a few trial calls through, and closes if they succeed or opens again if they fail. In resilience4j the defaults are a 50 percent failure threshold, a window and minimum of 100 calls, and a 60 second open wait, which suit busy services; quiet services need smaller numbers. It must sit with a timeout so hung calls count, and with a fallback so the user gets something useful. Its main value is stopping cascading failures, where one slow service exhausts the thread pools of everything upstream.",
      followUps: [
        {
          question: "Why count slow calls and not only failures?",
          answer:
            "A dependency that answers correctly but takes seconds is as harmful as one that errors: callers pile up waiting. resilience4j's slow-call rate lets the breaker open on latency alone, before timeouts start failing requests.",
        },
        {
          question: "What is the half-open state for, and what can go wrong in it?",
          answer:
            "It tests recovery with a limited number of real calls instead of sending full traffic to a service that may still be down. If too many calls are permitted, or many instances of the caller probe at the same moment, the probes can knock a recovering service over again.",
        },
        {
          question: "Where do you put the breaker relative to retries?",
          answer:
            "resilience4j's default order runs Retry outside CircuitBreaker: each retry attempt goes through the breaker, and once it is open retries fail fast instead of hammering the dependency. Retrying on BreakerOpenError itself should be avoided or delayed past the open wait.",
        },
      ],
    },
    exports: ["Simulation", "CircuitBreaker", "BreakerOpenError", "TimeoutPolicy", "ok", "table"],
    related: ["timeout", "retry-backoff", "bulkhead"],
    ...faces("circuit-breaker"),
  },
  {
    id: "retry-backoff",
    section: "microservices",
    title: "Retry with exponential backoff and jitter",
    summary: "Retry transient failures with growing, randomised waits so many clients do not return at the same moment.",
    whenToUse: [
      "Idempotent operations (or ones with an idempotency key) that fail transiently: timeouts, 503, 429.",
      "Always with a cap on attempts and on delay, and with jitter.",
    ],
    whenNotToUse: [
      "Non-idempotent operations without an idempotency key: a retried payment can charge twice.",
      "Errors that will not change (400, 404, validation failures).",
      "At every layer of a deep call chain: 3 attempts at each of 4 layers is up to 81 calls at the bottom.",
    ],
    explanation: [
      "Many failures are brief, so a retry often succeeds. But if a thousand clients fail at the same moment and retry after the same delays, they arrive together every time: a **retry storm** that keeps the service down.",
      "",
      "**Exponential backoff** grows the wait with each attempt (base × 2ⁿ, capped); **jitter** randomises it so clients spread out. With `t = min(cap, base·2ⁿ)`:",
      "",
      "| strategy | wait |",
      "| --- | --- |",
      "| none | `t` |",
      "| full jitter | `random(0, t)` |",
      "| equal jitter | `t/2 + random(0, t/2)` |",
      "| decorrelated | `min(cap, random(base, previous × 3))` |",
      "",
      "AWS's analysis of these strategies found that jitter cuts both the total work and the completion time, with full jitter doing the least work; the Amazon Builders' Library adds retry budgets (retry only while most calls succeed) and retrying at a single layer.",
      "",
      "Retry only what is safe to repeat. A timed-out request may have been applied; only an idempotency key chosen by the client and deduplicated by the server makes a retried write safe.",
    ].join("\n"),
    interview: {
      answer:
        "Retries handle transient failures such as a dropped connection, a 503 from a restarting instance or a timeout. Done naively they make outages worse, because every client retries at the same moments and multiplies the load on a struggling service. So I use exponential backoff, where the wait doubles each attempt up to a cap, plus jitter, which randomises the wait so clients spread out; AWS's analysis showed full jitter, a random wait between zero and the backoff, does the least total work. I cap attempts, retry only retryable errors like timeouts, 5xx and 429 but not 400s, and respect Retry-After. Crucially I only retry idempotent operations, or make them idempotent with an idempotency key, because a timed-out request may already have taken effect. In deep call chains I retry at one layer only, and I use a retry budget so retries cannot exceed a small fraction of traffic.",
      followUps: [
        {
          question: "Why does jitter help if the backoff already spreads attempts out?",
          answer:
            "Backoff spreads one client's attempts over time, but clients that failed together still retry together: their waits are identical. Jitter gives each client a different wait, turning synchronised spikes into a flat load the service can absorb.",
        },
        {
          question: "How do you make a POST safe to retry?",
          answer:
            "The client generates an idempotency key once per logical operation and sends it on every attempt; the server stores the key with the result and returns the stored result for a repeat instead of executing again. The key must come from the original caller, not be minted per attempt.",
        },
        {
          question: "What is a retry budget?",
          answer:
            "A limit on retries relative to normal traffic, for example retries may be at most 10 percent of requests over a window. When the dependency is down hard, the budget runs out and clients fail fast instead of multiplying load.",
        },
      ],
    },
    exports: ["Simulation", "RetryPolicy", "ok", "response", "table"],
    related: ["circuit-breaker", "timeout", "rate-limiting"],
    ...faces("retry-backoff"),
  },
  {
    id: "timeout",
    section: "microservices",
    title: "Timeout",
    summary: "Give up on a call at a deadline so a slow dependency costs bounded time; know what the callee keeps doing.",
    whenToUse: [
      "On every remote call: the default of many clients is to wait far too long or forever.",
      "With deadlines that shrink down the call chain so inner calls give up before the outer caller does.",
    ],
    whenNotToUse: [
      "Set shorter than the dependency's normal tail (p99.9): you fail healthy calls and trigger retries.",
      "As the only protection: many callers each waiting up to the timeout still exhaust a pool (add a bulkhead or breaker).",
    ],
    explanation: [
      "A call without a deadline can hold a thread, a connection and the user's patience indefinitely. A **timeout** bounds the time the caller spends: at the deadline the caller gets an error and moves on, to a fallback or a retry.",
      "",
      "What happens on the other side matters. With an **aggressive** timeout the caller simply stops waiting: the callee keeps working on a request nobody will read (wasted work, and a timed-out write may still be applied, so the outcome is unknown). A **cooperative** timeout also signals cancellation, and a callee that checks it can stop early; gRPC deadlines cross services this way when each handler passes its context (and so what is left of the deadline) on to the calls it makes.",
      "",
      "Pick the value from the dependency's latency distribution (a little above its p99 or p99.9 under normal load), keep it below the caller's own deadline, and make retried attempts share the overall budget. resilience4j's TimeLimiter defaults to 1 s; Envoy's route timeout defaults to 15 s, and Istio leaves the request timeout off unless a VirtualService sets one.",
    ].join("\n"),
    interview: {
      answer:
        "Every remote call needs a timeout, because without one a slow or hung dependency holds the caller's threads and connections until the caller itself becomes slow, which is how cascading failures start. I set the value from the dependency's measured latency, a bit above its p99 under normal load, and below the caller's own deadline, so inner calls give up before outer ones. A timeout only stops the caller waiting; the callee may keep working and may even complete a write, so a timed-out call has an unknown outcome, and retrying it is only safe if the operation is idempotent. Better systems pass the remaining deadline down with each call, as gRPC does when a handler hands its context on, so downstream services can stop work that nobody will use. Timeouts combine with retries, where each attempt gets a per-try timeout within an overall budget, and with circuit breakers, which count timeouts as failures and stop calling a dependency that keeps timing out.",
      followUps: [
        {
          question: "How do you choose a timeout value?",
          answer:
            "From data: look at the dependency's latency percentiles under normal load and set the timeout somewhat above p99 or p99.9, then check it fits inside the caller's own SLA including any retries. Revisit it when the dependency changes.",
        },
        {
          question: "What is the difference between a per-try timeout and an overall timeout?",
          answer:
            "A per-try timeout bounds each attempt so a retry can happen while time remains; the overall timeout bounds the whole operation including backoff waits. Without the overall one, retries can extend a request far beyond what the user waits for.",
        },
        {
          question: "What does a timed-out request tell you about the operation?",
          answer:
            "Nothing certain: the request may never have arrived, may still be running, or may have completed with the response lost. Treat the outcome as unknown; check state or rely on idempotency before retrying a write.",
        },
      ],
    },
    exports: ["Simulation", "TimeoutPolicy", "TimeoutError", "ok", "table"],
    related: ["retry-backoff", "circuit-breaker", "bulkhead"],
    ...faces("timeout"),
  },
  {
    id: "bulkhead",
    section: "microservices",
    title: "Bulkhead",
    summary: "Give each dependency its own bounded pool of concurrent calls so one slow dependency cannot take every worker.",
    whenToUse: [
      "A service calls several dependencies and one slow one could occupy all of its workers.",
      "Some endpoints must stay fast (the home page) while another dependency is in trouble.",
      "Noisy tenants or request types should not starve the others.",
    ],
    whenNotToUse: [
      "The service has a single dependency: a bulkhead only duplicates its own concurrency limit.",
      "Limits chosen without measurement: too small rejects healthy traffic, too large protects nothing.",
    ],
    explanation: [
      "Ships are divided into watertight compartments so one breach does not sink the whole hull. In a service, all requests share the same workers and connections: if one dependency becomes slow, requests that need it pile up, hold every worker, and requests that never touch it (the home page) wait too.",
      "",
      "A **bulkhead** caps the concurrent calls to one dependency (and optionally a short queue). Beyond the cap calls are rejected at once, so the rest of the workers stay free for everything else, and the rejected calls can use a fallback.",
      "",
      "resilience4j offers a semaphore bulkhead (25 concurrent calls by default, no waiting) and a thread-pool bulkhead; Hystrix isolated each dependency in its own thread pool. The lab's bulkhead is the semaphore kind with an optional queue.",
    ].join("\n"),
    interview: {
      answer:
        "A bulkhead isolates resources so a failure in one part cannot consume everything. Concretely, a service gives each downstream dependency its own bounded concurrency, a semaphore or a small thread pool, instead of letting all requests share one pool. If the recommendations service becomes slow, calls to it fill only their own compartment of, say, ten slots; further calls are rejected immediately and served with a fallback, while the remaining workers keep serving requests that do not need recommendations, such as the home page. Without it, slow calls accumulate until every worker is blocked and the whole service looks down. resilience4j offers semaphore and thread-pool bulkheads, with 25 concurrent calls by default. The sizing comes from Little's law, concurrency equals throughput times latency, for normal load plus some headroom. Bulkheads complement timeouts, which bound how long each slot is held, and circuit breakers, which stop calling altogether.",
      followUps: [
        {
          question: "How do you size a bulkhead?",
          answer:
            "Use Little's law: needed concurrency is roughly requests per second times normal latency in seconds. Add headroom for bursts, then verify under load that normal traffic is never rejected and that a slow dependency saturates only its own bulkhead.",
        },
        {
          question: "Semaphore or thread-pool bulkhead?",
          answer:
            "A semaphore limits concurrent calls on the caller's threads and is cheap; a thread pool runs calls on separate threads, so a stuck call cannot block the caller's thread and timeouts can abandon it, at the cost of context switches and more threads.",
        },
        {
          question: "How does a bulkhead relate to a circuit breaker?",
          answer:
            "A bulkhead limits how much a slow dependency can consume at once; a breaker stops calling it once it is clearly unhealthy. Together: the bulkhead protects capacity from the first moment, the breaker then sheds the load entirely until recovery.",
        },
      ],
    },
    exports: ["Simulation", "BulkheadPolicy", "BulkheadRejectedError", "wrap", "ok", "response", "table"],
    related: ["circuit-breaker", "timeout", "rate-limiting"],
    ...faces("bulkhead"),
  },
  {
    id: "sidecar",
    section: "microservices",
    title: "Sidecar",
    summary: "A proxy deployed beside each service adds mTLS, retries, timeouts, metrics and logs without changing the service's code.",
    whenToUse: [
      "Many services in several languages need the same networking features (mTLS, retries, telemetry).",
      "A platform team wants to change those features without every team redeploying code.",
    ],
    whenNotToUse: [
      "A handful of services in one language, where a shared library is simpler and cheaper.",
      "Latency- or memory-critical workloads where an extra proxy per pod is too costly.",
      "Retries that the application also does: retries in two layers multiply.",
    ],
    explanation: [
      "Cross-cutting networking concerns (encrypting and authenticating service-to-service traffic, retries, timeouts, metrics, access logs) would otherwise be reimplemented in every service and every language. A **sidecar** is a separate process deployed next to each service instance (in the same pod) that all its inbound and outbound traffic passes through, so the service talks plain HTTP to localhost and the proxy does the rest.",
      "",
      "A **service mesh** such as Istio injects an Envoy sidecar into every pod and configures all of them from a control plane. Each sidecar holds a workload identity certificate for mutual TLS; a peer authentication policy of `STRICT` refuses plain-text traffic (`PERMISSIVE`, the default, accepts both), and authorisation policies say which identities may call which service. Istio's default retry policy retries twice on connection failures, refused streams and 503s.",
      "",
      "Retries in the proxy are invisible to the application, so they need the same care as any retry: a non-idempotent request needs an idempotency key from the edge, or the payment runs twice.",
    ].join("\n"),
    interview: {
      answer:
        "The sidecar pattern deploys a helper process next to each service instance, sharing its lifecycle and network namespace, to provide features the service would otherwise implement itself. The best-known use is the service mesh: Istio or Linkerd put a proxy beside every pod and route all traffic through it, which gives mutual TLS with workload identities, retries, timeouts, circuit breaking, metrics and tracing without any code change and independent of language. A control plane configures all proxies centrally, so a platform team can roll out a policy everywhere. The costs are an extra hop and some latency per call, CPU and memory for every proxy, and more moving parts to debug. And since the proxy retries on the application's behalf, non-idempotent calls need idempotency keys. I would use a sidecar or mesh when there are many polyglot services, and a library when there are few services in one language.",
      followUps: [
        {
          question: "How does mutual TLS in a mesh work?",
          answer:
            "The control plane acts as a certificate authority and issues each workload a short-lived certificate naming its service identity. Sidecars present these certificates to each other on every connection, so both sides are authenticated and traffic is encrypted; policies then allow or deny by identity.",
        },
        {
          question: "What are the alternatives to a sidecar per pod?",
          answer:
            "A shared library (Finagle, resilience4j) inside each service, a per-node proxy, or sidecar-less meshes such as Istio's ambient mode, which uses a per-node layer-4 proxy plus optional layer-7 waypoint proxies to cut the per-pod cost.",
        },
        {
          question: "Why can mesh retries cause duplicate side effects?",
          answer:
            "The proxy retries a request whose first attempt may have reached the service and been applied before the response was lost; the application never sees the retry. Only an idempotency key carried from the edge and deduplicated by the service prevents double execution.",
        },
      ],
    },
    exports: ["Simulation", "Sidecar", "ok", "response"],
    related: ["retry-backoff", "timeout", "api-gateway", "client-side-discovery"],
    ...faces("sidecar"),
  },
];

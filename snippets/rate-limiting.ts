// Rate limiting: the same burst against five limiters, 100 ms buckets side by side.
import { FixedWindow, LeakyBucket, SlidingWindowCounter, SlidingWindowLog, TokenBucket, burstAt, compareLimiters, steadyArrivals } from "sde-lab";

const perSecond = /*$1*/10;
// A burst of 20 at t = 900 ms (just before a window boundary), then a steady 5 a second.
const arrivals = [...burstAt(/*$2*/900, /*$3*/20), ...steadyArrivals(1_000, 3_000, /*$4*/5)];

/*$0*/compareLimiters(
  [
    new TokenBucket({ capacity: perSecond, refillPerSecond: perSecond }),
    new LeakyBucket({ leakPerSecond: perSecond, queueSize: perSecond }),
    new FixedWindow({ limit: perSecond, windowMs: 1_000 }),
    new SlidingWindowLog({ limit: perSecond, windowMs: 1_000 }),
    new SlidingWindowCounter({ limit: perSecond, windowMs: 1_000 }),
  ],
  arrivals,
)

"""REST turn latency, saturation throughput and memory of Rasa bots, side by side.

Each target is a Rasa server with the REST channel. Targets run one after the other (they
share the machine's cores), each with its own conversation script:

1. warm-up: every scripted conversation once, sequentially (excluded from the numbers);
2. Poisson run: `--conversations` conversations arrive at random times over
   `--arrival-window` seconds (a Poisson process conditioned on that many arrivals) and wait
   an exponential think time (mean `--think-mean` s) between a reply and their next message;
3. saturation (`--saturation`): closed loops of N clients with no think time, N increasing;
4. memory of the target's processes (RSS/PSS/USS) at the end, and peak RSS during the run.

Every reply must be non-empty and, where the script says so, contain an expected substring;
failed turns are counted, kept out of the latency figures, and make the exit code 1.

The modules, in the order a run uses them: `scenario` (the conversation scripts and the demo
orders that fill them), `stats` (Poisson arrivals, think times, percentiles), `runner` (one REST
turn; warm-up, Poisson and closed-loop runs), `measurement` (one target: the runs, CPU per turn,
memory), `report` (the side-by-side table), `cli` (options, targets, the managed starter bot).

    python -m benchmarks.turn_latency --starter --saturation
    python -m benchmarks.turn_latency --target shop=http://127.0.0.1:5005 --pid-dir shop=var/run \\
        --starter --saturation --markdown --json var/bench/latency.json
"""

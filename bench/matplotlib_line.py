"""The matplotlib side of the 1M-point line chart benchmark: what a user would write.

Reads two TSV files (step, loss), draws both as lines with Agg at the size mlci uses
(800x440 CSS pixels at 2x: 1600x880), saves a PNG. Prints the time of each phase as JSON so
that the bench can compare mlci's whole run with matplotlib's plot + savefig alone.
"""

import json
import sys
import time

t0 = time.perf_counter()
import numpy as np  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

t1 = time.perf_counter()
base = np.loadtxt(sys.argv[1], delimiter="\t", skiprows=1)
head = np.loadtxt(sys.argv[2], delimiter="\t", skiprows=1)
t2 = time.perf_counter()
fig, ax = plt.subplots(figsize=(8, 4.4), dpi=200)
ax.plot(base[:, 0], base[:, 1], label="base")
ax.plot(head[:, 0], head[:, 1], label="head")
ax.set_title("curve.tsv")
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.grid(alpha=0.3)
ax.legend()
fig.savefig(sys.argv[3])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "plot_save": t3 - t2}))

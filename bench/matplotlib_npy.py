"""The matplotlib side of the chart race from git: the two series already saved as .npy.

Loads both arrays (step, loss), plots them as two lines with Agg and saves an 800x500 figure
(`figsize=(8, 5)`) at the dpi given (200 by default: 1600x1000 pixels, what mlci draws for
an 800x500 chart, at twice the CSS size): `np.load`, `plot` twice, `savefig`, nothing else.
Prints the time of those steps, measured here (after Python and matplotlib are imported),
as JSON.

    python matplotlib_npy.py base.npy head.npy out.png [dpi]
"""

import json
import sys
import time

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

start = time.perf_counter()
base = np.load(sys.argv[1])
head = np.load(sys.argv[2])
dpi = int(sys.argv[4]) if len(sys.argv) > 4 else 200
fig, ax = plt.subplots(figsize=(8, 5), dpi=dpi)
ax.plot(base[:, 0], base[:, 1])
ax.plot(head[:, 0], head[:, 1])
fig.savefig(sys.argv[3])
print(json.dumps({"load_plot_save": time.perf_counter() - start}))

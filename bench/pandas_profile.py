"""The pandas side of the data-profile benchmark: what a user would write to see what
changed in a data file between two revisions: read each CSV, then rows, dtypes, missing
values per column, min and max of the numeric columns."""

import sys

import pandas as pd

for path in sys.argv[1:]:
    frame = pd.read_csv(path)
    numeric = frame.select_dtypes("number")
    summary = {
        "rows": len(frame),
        "dtypes": frame.dtypes.astype(str).to_dict(),
        "missing": frame.isna().sum().to_dict(),
        "min": numeric.min().to_dict(),
        "max": numeric.max().to_dict(),
    }
    print(path, summary["rows"], file=sys.stderr)

# Long loops with progress output, and the errors every notebook meets (on purpose here).

# %%
import time
import numpy as np
import pandas as pd

# %% A hand-made progress line: each update overwrites the previous one with \r
for step in range(1, 11):
    print(f"\rprocessing batch {step}/10", end="", flush=True)
    time.sleep(0.01)
print()
# expect: text processing batch 10/10
# expect: no-text batch 5/10

# %% A percentage counter
for pct in range(0, 101, 20):
    print(f"\rdownloading... {pct:3d}%", end="")
print("\rdownloading... done ")
# expect: text downloading\.\.\. done
# expect: no-text 40%

# %% tqdm writes its bar to stderr; only the final state remains
from tqdm import tqdm
total = 0
for i in tqdm(range(200), mininterval=0, desc="summing"):
    total += i
print(total)
# expect: text summing: 100%
# expect: text 19900
# expect: no-text summing: +\d{1,2}%

# %% tqdm with a known total and manual updates
with tqdm(total=5, desc="stages", mininterval=0) as bar:
    for _ in range(5):
        time.sleep(0.01)
        bar.update(1)
# expect: text stages: 100%\|.*\| 5/5
# expect: no-text stages: +\d{1,2}%

# %% tqdm's notebook-style import falls back to text in a kernel without widgets
from tqdm.auto import tqdm as auto_tqdm
squares = [k * k for k in auto_tqdm(range(50), desc="auto", mininterval=0)]
sum(squares)
# expect: text 40425
# expect: text auto: 100%
# expect: no-text auto: +\d{1,2}%

# %% tqdm on a pandas apply
tqdm.pandas(desc="rows", mininterval=0)
frame = pd.DataFrame({"a": np.arange(30), "b": np.arange(30) * 2})
frame.progress_apply(lambda row: row["a"] + row["b"], axis=1).sum()
# expect: text 1305
# expect: text rows: 100%
# expect: no-text rows: +\d{1,2}%

# %% Progress with clear_output: each iteration replaces the cell's output
from IPython.display import clear_output
for epoch in range(1, 6):
    clear_output(wait=True)
    print(f"epoch {epoch}/5, loss {1 / epoch:.3f}")
    time.sleep(0.01)
# expect: text epoch 5/5, loss 0\.200
# expect: no-text epoch 3/5

# %% A live-updating chart: only the last drawing remains
import matplotlib.pyplot as plt
losses = []
for epoch in range(1, 4):
    losses.append(1 / epoch)
    clear_output(wait=True)
    plt.plot(range(1, epoch + 1), losses, "o-")
    plt.title(f"after epoch {epoch}")
    plt.show()
# expect: images 1

# %% Printing to stdout and stderr in the same cell
import sys
print("to stdout")
print("to stderr", file=sys.stderr)
# expect: text to stdout
# expect: text stderr:\nto stderr

# %% Warnings are shown and the cell still succeeds
import warnings
warnings.warn("this API is deprecated", DeprecationWarning, stacklevel=1)
np.log(np.array([1.0, 0.0]))
# expect: text divide by zero

# %% A typo in a variable name
totl + 1
# expect: error NameError

# %% Division by zero inside a function, with a traceback
def average(values):
    return sum(values) / len(values)

average([])
# expect: error ZeroDivisionError
# expect: text in average

# %% A column that does not exist
sales = pd.DataFrame({"region": ["north", "south"], "revenue": [120, 95]})
sales["Revenue"]
# expect: error KeyError
# expect: text Revenue

# %% A row label that does not exist
sales.set_index("region").loc["east"]
# expect: error KeyError

# %% A cell that fails before assigning its result
ratio = sales["revenue"].sum() / 0 if False else 1 / 0
# expect: error ZeroDivisionError

# %% The name was never defined, because the cell above failed
print(ratio)
# expect: error NameError
# expect: text name 'ratio' is not defined

# %% An assertion that checks the data
assert len(sales) == 3, f"expected 3 regions, found {len(sales)}"
# expect: error AssertionError
# expect: text expected 3 regions, found 2

# %% Converting bad text to a number
int("12a")
# expect: error ValueError

# %% pandas refuses to mix up types silently
pd.to_numeric(pd.Series(["1", "2", "three"]))
# expect: error ValueError

# %% ... unless asked to
pd.to_numeric(pd.Series(["1", "2", "three"]), errors="coerce").tolist()
# expect: text \[1\.0, 2\.0, nan\]

# %% An index out of range
[1, 2, 3][5]
# expect: error IndexError

# %% Calling a method on None
result = {"a": 1}.get("b")
result.upper()
# expect: error AttributeError

# %% A syntax error is reported before anything runs
def broken(:
    pass
# expect: error SyntaxError

# %% A custom exception class
class DataQualityError(Exception):
    pass

def check(frame):
    if frame["revenue"].min() < 100:
        raise DataQualityError(f"revenue below 100 in {int((frame['revenue'] < 100).sum())} row(s)")

check(sales)
# expect: error DataQualityError
# expect: text revenue below 100 in 1 row

# %% Exceptions that are caught do not fail the cell
try:
    check(sales)
except DataQualityError as exc:
    print("handled:", exc)
# expect: text handled: revenue below 100

# %% Output printed before an error is kept
print("step 1 done")
print("step 2 done")
raise RuntimeError("step 3 failed")
# expect: error RuntimeError
# expect: text step 2 done

# %% Recursion without a base case
def countdown(n):
    return countdown(n - 1)

countdown(3)
# expect: error RecursionError

# %% A KeyboardInterrupt-free long loop finishes in time
t0 = time.perf_counter()
acc = 0
for k in range(300_000):
    acc += k % 7
print(acc, time.perf_counter() - t0 < 20)
# expect: text 899997 True

# %% The kernel kept every variable defined so far
print(total, len(sales), "ratio" in globals())
# expect: text 19900 2 False

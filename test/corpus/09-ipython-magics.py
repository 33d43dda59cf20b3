# IPython magics a teaching notebook uses: timing, files, running scripts, the namespace, help and more.

# %%
%matplotlib inline
import numpy as np

# %% Where are we?
%pwd
# expect: text /mnt/data

# %% Time one statement
%time total = sum(i * i for i in range(200_000))
print(total)
# expect: text Wall time
# expect: text 2666646666700000

# %% Time a whole cell
%%time
squares = [i ** 2 for i in range(100_000)]
len(squares)
# expect: text Wall time
# expect: text 100000

# %% timeit with few loops and repeats
%timeit -n 10 -r 3 sorted(range(5000), reverse=True)
# expect: text per loop \(mean ± std\. dev\. of 3 runs, 10 loops each\)

# %% timeit as a cell magic, with set-up on the first line
%%timeit -n 5 -r 2 data = list(range(2000))
data.sort(key=lambda v: -v)
# expect: text 2 runs, 5 loops each

# %% Write a module to the working directory
%%writefile geometry.py
import math

def circle_area(r):
    return math.pi * r ** 2

def hypotenuse(a, b):
    return math.hypot(a, b)

if __name__ == "__main__":
    print("geometry ran as a script:", hypotenuse(3, 4))
# expect: text Writing geometry\.py

# %% Run it as a script: its names land in the notebook
%run geometry.py
round(circle_area(2), 4)
# expect: text geometry ran as a script: 5\.0
# expect: text 12\.5664

# %% A script with command-line arguments
%%writefile count_words.py
import sys
text = " ".join(sys.argv[1:])
print(f"{len(text.split())} words")
# expect: text Writing count_words\.py

# %% Pass arguments to %run
%run count_words.py the quick brown fox
# expect: text ^4 words$

# %% Append to a file with -a
%%writefile -a count_words.py
print("done")
# expect: text Appending to count_words\.py

# %% Autoreload picks up edited modules
%load_ext autoreload
%autoreload 2

# %% A module, version 1
%%writefile greetings.py
def greet(name):
    return f"hello {name} (v1)"

# %% Import and call it
import greetings
greetings.greet("Ada")
# expect: text hello Ada \(v1\)

# %% Edit the module on disk
%%writefile greetings.py
def greet(name):
    return f"good morning {name} (v2)"

# %% The next call uses the new code without re-importing
greetings.greet("Ada")
# expect: text good morning Ada \(v2\)

# %% What is defined? %who lists names
alpha, beta = 1.5, "two"
matrix = np.eye(3)
%who
# expect: text alpha
# expect: text matrix

# %% %who filtered by type
%who str
# expect: text beta
# expect: no-text matrix

# %% %whos gives types and values
%whos
# expect: text Variable\s+Type\s+Data/Info
# expect: text ndarray\s+3x3

# %% Environment variables
%env EXPERIMENT_NAME=baseline
import os
print(os.environ["EXPERIMENT_NAME"])
# expect: text ^baseline$

# %% Reading one back with %env
%env EXPERIMENT_NAME
# expect: text baseline

# %% Help with ? is printed
len?
# expect: text Return the number of items in a container

# %% Help on our own function shows its signature
hypotenuse?
# expect: text Signature: hypotenuse\(a, b\)

# %% ?? shows the source
circle_area??
# expect: text return math\.pi \* r \*\* 2

# %% Capture the output of a cell
%%capture captured
print("this is hidden")
print("so is this")

# %% ... and look at it later
print(captured.stdout.splitlines())
# expect: text \['this is hidden', 'so is this'\]

# %% HTML cell magic
%%html
<div style="border:1px solid #888;padding:4px">An <em>HTML</em> cell: 3 &times; 4 = 12</div>
# expect: html
# expect: text 3 × 4 = 12

# %% Markdown cell magic
%%markdown
### Notes
- the **median** is robust
- the mean is not
# expect: markdown
# expect: text the \*\*median\*\* is robust

# %% LaTeX cell magic
%%latex
\begin{align}
E &= mc^2 \\
F &= ma
\end{align}
# expect: latex
# expect: text mc\^2

# %% The last result is kept in _
6 * 7
# expect: text Out\[\d+\]: 42

# %% ... and can be used in the next cell
_ + 1
# expect: text Out\[\d+\]: 43

# %% Profiling prints its report
%prun -l 3 -s cumulative sorted(range(20000), key=lambda v: (v % 7, v))
# expect: text function calls

# %% Shorter tracebacks with %xmode
%xmode Minimal
def inverse(x):
    return 1 / x
inverse(0)
# expect: error ZeroDivisionError

# %% Back to the default traceback mode
%xmode Context
# expect: text Context

# %% Shell commands are not available in the kernel
!ls -la
# expect: error UsageError

# %% ... not as an assignment either
files = !ls
# expect: error UsageError

# %% bash cells are refused too
%%bash
echo "hello from bash"
# expect: error UsageError

# %% Installing packages from a notebook
%pip install requests-cache
# expect: error UsageError

# %% Asking the user for input
name = input("What is your name? ")
# expect: error StdinNotImplementedError

# %% Interactive widgets
import ipywidgets as widgets
widgets.IntSlider(value=3)
# expect: error ModuleNotFoundError

# %% The kernel is still fine after all that
print(round(hypotenuse(5, 12)), beta)
# expect: text ^13 two$

# %% List the magics
%lsmagic
# expect: text timeit

# %% Reset the namespace
%reset -f
print("after reset")
# expect: text after reset

# %% Names from before the reset are gone
alpha
# expect: error NameError

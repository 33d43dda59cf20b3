# Matplotlib in a notebook: inline figures, subplots, styles, rcParams and how many charts a cell shows.

# %%
%matplotlib inline
import numpy as np
import matplotlib as mpl
import matplotlib.pyplot as plt
x = np.linspace(0, 2 * np.pi, 100)

# %% The simplest plot: pyplot draws on the current figure
plt.plot(x, np.sin(x))
# expect: images 1
# expect: text Line2D

# %% A semicolon hides the text of the last expression, the chart is still shown
plt.plot(x, np.cos(x), "r--");
# expect: images 1
# expect: no-text Line2D

# %% Title, labels, legend
plt.plot(x, np.sin(x), label="sin")
plt.plot(x, np.cos(x), label="cos")
plt.title("Two waves")
plt.xlabel("x")
plt.ylabel("y")
plt.legend()
plt.grid(True)
# expect: images 1

# %% The object-oriented interface
fig, ax = plt.subplots(figsize=(6, 3))
ax.fill_between(x, np.sin(x), alpha=0.3)
ax.set(title="Filled", xlim=(0, 2 * np.pi))
# expect: images 1

# %% A 2 x 2 grid of subplots is one chart
fig, axes = plt.subplots(2, 2, figsize=(7, 5))
axes[0, 0].plot(x, x ** 2)
axes[0, 1].scatter(np.arange(10), np.arange(10) ** 0.5)
axes[1, 0].bar(["a", "b", "c"], [3, 7, 5])
axes[1, 1].hist(np.random.default_rng(1).normal(size=500), bins=20)
fig.tight_layout()
# expect: images 1

# %% Two figures in one cell are two charts
plt.figure()
plt.plot([1, 2, 3], [1, 4, 9])
plt.figure()
plt.plot([1, 2, 3], [9, 4, 1])
# expect: images 2

# %% Three figures, made with subplots
for power in (1, 2, 3):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(x, x ** power)
    ax.set_title(f"x^{power}")
# expect: images 3

# %% The figure as the last expression is shown once
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(x, np.tan(x).clip(-5, 5))
fig
# expect: images 1

# %% plt.show() shows the figure now; it is not shown again at the end of the cell
plt.plot(x, x)
plt.show()
print("after show")
# expect: images 1
# expect: text after show

# %% plt.show() between two figures
plt.plot(x, np.sin(2 * x))
plt.show()
plt.plot(x, np.sin(3 * x))
# expect: images 2

# %% display(fig) shows the figure; it is not shown again at the end of the cell
from IPython.display import display
fig, ax = plt.subplots()
ax.scatter([1, 2, 3], [3, 1, 2])
display(fig)
# expect: images 1

# %% An empty figure shows nothing
fig = plt.figure()
# expect: images 0

# %% A closed figure is not shown, unless asked for
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
plt.close(fig)
print("closed")
# expect: images 0

# %% ... and the closed figure can still be displayed by name
fig
# expect: images 1

# %% Figures do not carry over from one cell to the next
print(plt.get_fignums())
# expect: text ^\[\]$
# expect: images 0

# %% A style for the rest of the notebook
plt.style.use("ggplot")
plt.plot(x, np.sin(x))
plt.title("ggplot style")
# expect: images 1

# %% Another style
plt.style.use("seaborn-v0_8-whitegrid")
fig, ax = plt.subplots()
for k in range(1, 5):
    ax.plot(x, np.sin(k * x) / k, label=f"k={k}")
ax.legend(ncol=2)
# expect: images 1

# %% rcParams change the defaults
mpl.rcParams["figure.figsize"] = (5, 2.5)
mpl.rcParams["lines.linewidth"] = 3
plt.rcParams.update({"axes.titlesize": 16, "axes.grid": False})
plt.plot(x, np.exp(-x))
plt.title("thick line, small figure")
print(plt.gcf().get_size_inches())
# expect: images 1
# expect: text \[5\. +2\.5\]

# %% A temporary style with a context manager
with plt.style.context("dark_background"):
    plt.plot(x, np.cos(x), color="yellow")
print(mpl.rcParams["axes.facecolor"])
# expect: images 1

# %% Back to the defaults
mpl.rcdefaults()
plt.style.use("default")
print(mpl.rcParams["figure.figsize"], mpl.rcParams["lines.linewidth"])
# expect: text 1\.5
# expect: images 0

# %% Annotations and text
fig, ax = plt.subplots()
ax.plot(x, np.sin(x))
ax.annotate("maximum", xy=(np.pi / 2, 1), xytext=(2.5, 0.6), arrowprops={"arrowstyle": "->"})
ax.text(4.5, -0.9, "trough nearby")
ax.axhline(0, color="gray", lw=0.8)
# expect: images 1

# %% Twin axes and a log scale
fig, ax1 = plt.subplots()
t = np.arange(1, 50)
ax1.plot(t, t ** 2, "b-")
ax2 = ax1.twinx()
ax2.semilogy(t, np.exp(t / 5), "g-")
ax1.set_ylabel("t²", color="b")
ax2.set_ylabel("exp(t/5)", color="g")
# expect: images 1

# %% A 3-D surface
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401 - registers the projection
fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
gx, gy = np.meshgrid(np.linspace(-3, 3, 40), np.linspace(-3, 3, 40))
ax.plot_surface(gx, gy, np.exp(-(gx ** 2 + gy ** 2) / 3), cmap="viridis")
# expect: images 1

# %% A figure made without pyplot is only shown when it is the last expression
from matplotlib.figure import Figure
standalone = Figure(figsize=(3, 2))
standalone.add_subplot().plot([1, 3, 2])
standalone
# expect: images 1

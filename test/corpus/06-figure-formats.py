# Inline figure formats: PNG (the default), retina, SVG, and images saved to files and shown again.

# %%
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display, Image, SVG
t = np.linspace(0, 10, 400)

# %% Default PNG output
plt.plot(t, np.sin(t) * np.exp(-t / 5))
plt.title("damped wave (png)")
# expect: images 1

# %% Retina: PNG at twice the resolution
%config InlineBackend.figure_format = 'retina'
plt.plot(t, np.cos(t) * np.exp(-t / 5))
plt.title("damped wave (retina)")
# expect: images 1

# %% Retina with a grid of subplots
fig, axes = plt.subplots(1, 3, figsize=(9, 2.5), sharey=True)
for k, ax in enumerate(axes, start=1):
    ax.plot(t, np.sin(k * t))
    ax.set_title(f"k = {k}")
# expect: images 1

# %% The configuration can be read back
%config InlineBackend.figure_format
# expect: text retina

# %% SVG output: a vector image, no PNG
%config InlineBackend.figure_format = 'svg'
plt.plot(t, t ** 0.5)
plt.title("square root (svg)")
# expect: svg
# expect: images 0

# %% SVG with two figures
plt.figure(figsize=(3, 2))
plt.bar(["a", "b"], [1, 2])
plt.figure(figsize=(3, 2))
plt.scatter([1, 2, 3], [2, 3, 1])
# expect: svg
# expect: images 0

# %% SVG for a figure returned as the last expression
fig, ax = plt.subplots(figsize=(4, 2))
ax.step(np.arange(8), np.arange(8) % 3)
fig
# expect: svg
# expect: images 0

# %% Back to PNG
%config InlineBackend.figure_format = 'png'
plt.plot(t, np.log1p(t))
plt.title("back to png")
# expect: images 1

# %% Figure size and dpi through rcParams
plt.rcParams["figure.dpi"] = 60
fig, ax = plt.subplots(figsize=(4, 2))
ax.plot(t, np.sin(t))
print(fig.dpi)
# expect: images 1
# expect: text ^60\.0$

# %% Restore the dpi
plt.rcParams["figure.dpi"] = 100
plt.rcParams["figure.dpi"]
# expect: text 100
# expect: images 0

# %% Saving a figure to a PNG file (and closing it, so the cell shows nothing)
fig, ax = plt.subplots(figsize=(4, 3))
ax.pie([45, 30, 25], labels=["red", "green", "blue"], colors=["#d62728", "#2ca02c", "#1f77b4"])
fig.savefig("pie.png", dpi=80, bbox_inches="tight")
plt.close(fig)
# expect: images 0

# %% The PNG file starts with the PNG signature
with open("pie.png", "rb") as f:
    header = f.read(8)
print(header == b"\x89PNG\r\n\x1a\n")
# expect: text True

# %% Showing the saved file with IPython.display.Image
Image(filename="pie.png")
# expect: images 1

# %% An Image with a width, shown with display()
display(Image(filename="pie.png", width=150))
print("shown at 150 px")
# expect: images 1

# %% Saving as SVG and showing the file
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [0, 1, 0])
fig.savefig("peak.svg")
plt.close(fig)
SVG(filename="peak.svg")
# expect: svg
# expect: images 0

# %% A JPEG written with Pillow from a NumPy array
from PIL import Image as PILImage
gradient = np.tile(np.linspace(0, 255, 128, dtype=np.uint8), (64, 1))
PILImage.fromarray(np.dstack([gradient, gradient[::-1], np.full_like(gradient, 128)])).save("gradient.jpg", quality=85)
Image(filename="gradient.jpg")
# expect: images 1

# %% A Pillow image is displayed as an image too
PILImage.open("gradient.jpg").resize((64, 32))
# expect: images 1

# %% Saving in a loop writes files but shows nothing when each figure is closed
for k in range(3):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(t, np.sin(k * t))
    fig.savefig(f"wave_{k}.png")
    plt.close(fig)
import os
sorted(f for f in os.listdir(".") if f.startswith("wave_"))
# expect: images 0
# expect: text \['wave_0\.png', 'wave_1\.png', 'wave_2\.png'\]

# %% Saving without closing: the figure is also shown
plt.plot(t, np.cos(t))
plt.savefig("shown_and_saved.png")
# expect: images 1

# NumPy from the ground up: arrays, broadcasting, linear algebra, random numbers and speed.

# %%
%matplotlib inline
import numpy as np
np.__version__

# %% Creating arrays
a = np.arange(12).reshape(3, 4)
print(a)
print(a.shape, a.ndim, a.dtype, a.size)
# expect: text \(3, 4\) 2 int64 12

# %% Axis-wise reductions
print(a.sum(axis=0), a.sum(axis=1), a.mean())
# expect: text \[12 15 18 21\] \[ 6 22 38\] 5\.5

# %% Slicing returns views, fancy indexing returns copies
view = a[:, 1]
view[0] = 100
print(a[0, 1], a[[0, 2], [3, 0]])
a[0, 1] = 1
# expect: text 100 \[3 8\]

# %% Boolean masks
mask = a % 3 == 0
a[mask]
# expect: text array\(\[0, 3, 6, 9\]\)

# %% Broadcasting: a column plus a row gives a table
col = np.array([[0], [10], [20]])
row = np.array([1, 2, 3])
col + row
# expect: text \[21, 22, 23\]

# %% Broadcasting to standardise columns
data = np.array([[1.0, 200.0], [2.0, 400.0], [3.0, 600.0]])
z = (data - data.mean(axis=0)) / data.std(axis=0)
z.round(4)
# expect: text -1\.2247

# %% Shapes that do not broadcast
np.ones((3, 4)) + np.ones((3, 2))
# expect: error ValueError

# %% Matrix products
A = np.array([[2.0, 1.0], [1.0, 3.0]])
B = np.array([[1.0, 0.0], [4.0, 1.0]])
A @ B
# expect: text \[\[ 6\., +1\.\],\s+\[13\., +3\.\]\]

# %% Solving a linear system: 2x + y = 5, x + 3y = 10
x = np.linalg.solve(A, np.array([5.0, 10.0]))
print(x, np.allclose(A @ x, [5, 10]))
# expect: text \[1\. 3\.\] True

# %% Determinant, inverse, eigenvalues
print(round(np.linalg.det(A), 6))
vals, vecs = np.linalg.eigh(A)
print(np.round(vals, 4), np.allclose(A @ vecs, vecs * vals))
# expect: text ^5\.0$
# expect: text \[1\.382 +3\.618\] True

# %% Least squares: fit a line through exact points y = 3x - 2
xs = np.arange(6.0)
ys = 3 * xs - 2
design = np.column_stack([xs, np.ones_like(xs)])
coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
coef.round(6)
# expect: text array\(\[ 3\., -2\.\]\)

# %% Singular matrices cannot be inverted
np.linalg.inv(np.array([[1.0, 2.0], [2.0, 4.0]]))
# expect: error LinAlgError

# %% A random Generator with a seed is reproducible
rng1 = np.random.default_rng(2024)
rng2 = np.random.default_rng(2024)
print(np.array_equal(rng1.normal(size=5), rng2.normal(size=5)))
print(rng1.integers(0, 10, size=8))
# expect: text ^True$

# %% Sampling distributions: the mean of many uniforms is close to 0.5
rng = np.random.default_rng(0)
u = rng.uniform(size=100_000)
print(abs(u.mean() - 0.5) < 0.01, abs(u.var() - 1 / 12) < 0.005)
# expect: text True True

# %% A histogram of normal samples
import matplotlib.pyplot as plt
samples = rng.normal(loc=10, scale=2, size=5000)
plt.hist(samples, bins=40, density=True, alpha=0.7)
grid = np.linspace(2, 18, 200)
plt.plot(grid, np.exp(-(grid - 10) ** 2 / 8) / np.sqrt(8 * np.pi), "k-")
plt.title("Normal(10, 2)")
# expect: images 1

# %% A loop and its vectorised equivalent
values = rng.normal(size=20_000)

def loop_sum_of_squares(v):
    total = 0.0
    for item in v:
        total += item * item
    return total

print(np.isclose(loop_sum_of_squares(values), np.sum(values ** 2)))
# expect: text True

# %% Timing the loop
loop_t = %timeit -o -n 3 -r 3 loop_sum_of_squares(values)
# expect: text per loop \(mean ± std\. dev\. of 3 runs, 3 loops each\)

# %% Timing the vectorised version
vec_t = %timeit -o -n 20 -r 3 np.dot(values, values)
print("vectorised is faster:", vec_t.average < loop_t.average)
# expect: text vectorised is faster: True

# %% Display precision
%precision 3
np.pi
# expect: text ^Out\[\d+\]: 3\.142$

# %% Precision applies to arrays too
np.array([1 / 3, 2 / 3])
# expect: text array\(\[0\.333, 0\.667\]\)

# %% Reset it
%precision
np.pi
# expect: text 3\.141592653589793

# %% Universal functions and where
angles = np.linspace(0, np.pi, 5)
np.where(np.sin(angles) > 0.5, "high", "low")
# expect: text 'low', 'high', 'high', 'high', 'low'

# %% NumPy turns division by zero into inf (warning silenced here); Python raises
with np.errstate(divide="ignore"):
    print(np.array([1.0, -1.0]) / 0)
1 / 0
# expect: error ZeroDivisionError

# %% Saving and loading arrays
np.save("matrix.npy", A)
np.savez("bundle.npz", a=a, x=x)
loaded = np.load("bundle.npz")
print(np.load("matrix.npy").tolist(), sorted(loaded.files))
# expect: text \[\[2\.0, 1\.0\], \[1\.0, 3\.0\]\] \['a', 'x'\]

# %% Image-like data shown with imshow
yy, xx = np.mgrid[-2:2:200j, -2:2:200j]
ripple = np.sin(5 * np.hypot(xx, yy)) / (1 + np.hypot(xx, yy))
plt.imshow(ripple, cmap="viridis", extent=(-2, 2, -2, 2))
plt.colorbar()
# expect: images 1

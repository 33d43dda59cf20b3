# Split-apply-combine: groupby, merge, pivot tables, categoricals, styled tables and Excel files.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

rng = np.random.default_rng(42)

# %% Orders from a small online shop (generated, seeded)
n = 300
orders = pd.DataFrame({
    "order_id": np.arange(1000, 1000 + n),
    "customer_id": rng.integers(1, 41, n),
    "product": rng.choice(["pen", "notebook", "backpack", "calculator"], n, p=[0.4, 0.3, 0.1, 0.2]),
    "quantity": rng.integers(1, 6, n),
})
prices = pd.DataFrame({
    "product": ["pen", "notebook", "backpack", "calculator"],
    "unit_price": [1.5, 3.0, 35.0, 12.0],
    "category": ["stationery", "stationery", "bags", "electronics"],
})
orders.head()
# expect: html

# %% Merge the price list into the orders
sales = orders.merge(prices, on="product", how="left", validate="many_to_one")
sales["revenue"] = sales["quantity"] * sales["unit_price"]
print(sales.shape, sales["unit_price"].isna().sum())
# expect: text \(300, 7\) 0

# %% Revenue per product with several aggregations
by_product = sales.groupby("product").agg(
    orders=("order_id", "count"),
    units=("quantity", "sum"),
    revenue=("revenue", "sum"),
    avg_qty=("quantity", "mean"),
).sort_values("revenue", ascending=False)
by_product

# %% The aggregation is consistent with the raw data
print(by_product["orders"].sum() == n, np.isclose(by_product["revenue"].sum(), sales["revenue"].sum()))
# expect: text True True

# %% A hand-made table where the answer is known
toy = pd.DataFrame({"team": ["x", "y", "x", "y", "x"], "points": [3, 4, 5, 6, 7]})
toy.groupby("team")["points"].agg(["sum", "mean", "max"])
# expect: text x\s+15\s+5\.0\s+7
# expect: text y\s+10\s+5\.0\s+6

# %% transform keeps the original shape
toy["share_of_team"] = toy["points"] / toy.groupby("team")["points"].transform("sum")
toy.round(3)
# expect: text 0\.467

# %% apply with a custom function per group
def top_order(group):
    return group.nlargest(1, "revenue")[["order_id", "product", "revenue"]]

sales.groupby("category").apply(top_order, include_groups=False)

# %% Pivot table: categories by quantity
pivot = sales.pivot_table(index="category", columns="quantity", values="revenue", aggfunc="sum", fill_value=0)
pivot

# %% A pivot table with margins on the toy data
toy["half"] = ["first", "first", "second", "second", "second"]
toy.pivot_table(index="team", columns="half", values="points", aggfunc="sum", margins=True)
# expect: text All\s+7\s+18\s+25

# %% Melt goes from wide to long
wide = pd.DataFrame({"city": ["Oslo", "Lima"], "2023": [5.1, 19.2], "2024": [5.6, 19.0]})
long = wide.melt(id_vars="city", var_name="year", value_name="temp")
long
# expect: text Lima\s+2024\s+19\.0

# %% Categorical data with an order
sizes = pd.Series(["M", "S", "L", "M", "XL", "S", "M"], dtype=pd.CategoricalDtype(["S", "M", "L", "XL"], ordered=True))
print(sizes.sort_values().tolist())
print(sizes.cat.codes.tolist(), (sizes > "M").sum())
# expect: text \['S', 'S', 'M', 'M', 'M', 'L', 'XL'\]
# expect: text ^\[1, 0, 2, 1, 3, 0, 1\] 2$

# %% Binning a numeric column into categories
sales["size"] = pd.cut(sales["revenue"], bins=[0, 5, 20, 200], labels=["small", "medium", "large"])
sales["size"].value_counts().sort_index()

# %% Joins: customers who never ordered
customers = pd.DataFrame({"customer_id": np.arange(1, 46), "region": rng.choice(["north", "south"], 45)})
joined = customers.merge(sales.groupby("customer_id")["revenue"].sum().rename("total"), on="customer_id", how="left")
print(joined["total"].isna().sum() >= 5)
# expect: text True

# %% concat stacks frames
q1 = pd.DataFrame({"month": ["Jan", "Feb"], "sales": [10, 12]})
q2 = pd.DataFrame({"month": ["Apr", "May"], "sales": [15, 11]})
pd.concat([q1, q2], keys=["Q1", "Q2"])

# %% A styled summary table
(by_product.style
    .format({"revenue": "${:,.2f}", "avg_qty": "{:.2f}"})
    .highlight_max(subset=["revenue", "units"], color="lightgreen")
    .set_caption("Sales by product"))
# expect: html
# expect: text Sales by product

# %% A background gradient (uses matplotlib colormaps)
pivot.style.background_gradient(cmap="Blues", axis=None).format("{:.1f}")
# expect: html

# %% display() shows several tables from one cell
from IPython.display import display
display(by_product.head(2))
display(toy)
print("two tables above")
# expect: text two tables above

# %% Save to Excel with two sheets and read one back
with pd.ExcelWriter("shop.xlsx") as writer:
    by_product.to_excel(writer, sheet_name="products")
    pivot.to_excel(writer, sheet_name="pivot")
sheets = pd.read_excel("shop.xlsx", sheet_name=None, index_col=0)
print(sorted(sheets), sheets["products"].shape)
# expect: text \['pivot', 'products'\] \(4, 4\)

# %% Revenue per category as a chart
sales.groupby("category")["revenue"].sum().sort_values().plot.barh(color="tab:orange")
plt.xlabel("revenue")
plt.title("Revenue by category")
# expect: images 1

# %% Two charts side by side
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
by_product["units"].plot.pie(ax=axes[0], autopct="%1.0f%%")
sales.boxplot(column="revenue", by="category", ax=axes[1])
fig.suptitle("")
plt.tight_layout()
# expect: images 1

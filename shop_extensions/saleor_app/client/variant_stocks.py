from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class VariantStocks(BaseModel):
    product_variant: Optional["VariantStocksProductVariant"] = Field(
        alias="productVariant"
    )


class VariantStocksProductVariant(BaseModel):
    id: str
    sku: Optional[str]
    name: str
    product: "VariantStocksProductVariantProduct"
    stocks: Optional[list["VariantStocksProductVariantStocks"]]


class VariantStocksProductVariantProduct(BaseModel):
    id: str
    name: str


class VariantStocksProductVariantStocks(BaseModel):
    warehouse: "VariantStocksProductVariantStocksWarehouse"
    quantity: int
    quantity_allocated: int = Field(alias="quantityAllocated")


class VariantStocksProductVariantStocksWarehouse(BaseModel):
    id: str
    name: str


VariantStocks.model_rebuild()
VariantStocksProductVariant.model_rebuild()
VariantStocksProductVariantStocks.model_rebuild()

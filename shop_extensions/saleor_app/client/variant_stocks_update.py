from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ProductErrorCode


class VariantStocksUpdate(BaseModel):
    product_variant_stocks_update: Optional[
        "VariantStocksUpdateProductVariantStocksUpdate"
    ] = Field(alias="productVariantStocksUpdate")


class VariantStocksUpdateProductVariantStocksUpdate(BaseModel):
    product_variant: Optional[
        "VariantStocksUpdateProductVariantStocksUpdateProductVariant"
    ] = Field(alias="productVariant")
    errors: list["VariantStocksUpdateProductVariantStocksUpdateErrors"]


class VariantStocksUpdateProductVariantStocksUpdateProductVariant(BaseModel):
    id: str
    stocks: Optional[
        list["VariantStocksUpdateProductVariantStocksUpdateProductVariantStocks"]
    ]


class VariantStocksUpdateProductVariantStocksUpdateProductVariantStocks(BaseModel):
    warehouse: (
        "VariantStocksUpdateProductVariantStocksUpdateProductVariantStocksWarehouse"
    )
    quantity: int
    quantity_allocated: int = Field(alias="quantityAllocated")


class VariantStocksUpdateProductVariantStocksUpdateProductVariantStocksWarehouse(
    BaseModel
):
    id: str


class VariantStocksUpdateProductVariantStocksUpdateErrors(BaseModel):
    field: Optional[str]
    code: ProductErrorCode
    message: Optional[str]


VariantStocksUpdate.model_rebuild()
VariantStocksUpdateProductVariantStocksUpdate.model_rebuild()
VariantStocksUpdateProductVariantStocksUpdateProductVariant.model_rebuild()
VariantStocksUpdateProductVariantStocksUpdateProductVariantStocks.model_rebuild()

from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class CatalogueProducts(BaseModel):
    products: Optional["CatalogueProductsProducts"]


class CatalogueProductsProducts(BaseModel):
    page_info: "CatalogueProductsProductsPageInfo" = Field(alias="pageInfo")
    edges: list["CatalogueProductsProductsEdges"]


class CatalogueProductsProductsPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class CatalogueProductsProductsEdges(BaseModel):
    node: "CatalogueProductsProductsEdgesNode"


class CatalogueProductsProductsEdgesNode(BaseModel):
    id: str
    name: str
    variants: Optional[list["CatalogueProductsProductsEdgesNodeVariants"]]


class CatalogueProductsProductsEdgesNodeVariants(BaseModel):
    id: str
    name: str
    sku: Optional[str]


CatalogueProducts.model_rebuild()
CatalogueProductsProducts.model_rebuild()
CatalogueProductsProductsEdges.model_rebuild()
CatalogueProductsProductsEdgesNode.model_rebuild()

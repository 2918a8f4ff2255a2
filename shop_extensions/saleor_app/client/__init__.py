from .app_id import AppId, AppIdApp
from .base_client import BaseClient
from .base_model import BaseModel, Upload
from .catalogue_products import (
    CatalogueProducts,
    CatalogueProductsProducts,
    CatalogueProductsProductsEdges,
    CatalogueProductsProductsEdgesNode,
    CatalogueProductsProductsEdgesNodeVariants,
    CatalogueProductsProductsPageInfo,
)
from .client import SaleorClient
from .enums import ProductErrorCode
from .exceptions import (
    GraphQLClientError,
    GraphQLClientGraphQLError,
    GraphQLClientGraphQLMultiError,
    GraphQLClientHttpError,
    GraphQLClientInvalidResponseError,
)
from .input_types import StockInput
from .variant_stocks import (
    VariantStocks,
    VariantStocksProductVariant,
    VariantStocksProductVariantProduct,
    VariantStocksProductVariantStocks,
    VariantStocksProductVariantStocksWarehouse,
)
from .variant_stocks_update import (
    VariantStocksUpdate,
    VariantStocksUpdateProductVariantStocksUpdate,
    VariantStocksUpdateProductVariantStocksUpdateErrors,
    VariantStocksUpdateProductVariantStocksUpdateProductVariant,
    VariantStocksUpdateProductVariantStocksUpdateProductVariantStocks,
    VariantStocksUpdateProductVariantStocksUpdateProductVariantStocksWarehouse,
)

__all__ = [
    "AppId",
    "AppIdApp",
    "BaseClient",
    "BaseModel",
    "CatalogueProducts",
    "CatalogueProductsProducts",
    "CatalogueProductsProductsEdges",
    "CatalogueProductsProductsEdgesNode",
    "CatalogueProductsProductsEdgesNodeVariants",
    "CatalogueProductsProductsPageInfo",
    "GraphQLClientError",
    "GraphQLClientGraphQLError",
    "GraphQLClientGraphQLMultiError",
    "GraphQLClientHttpError",
    "GraphQLClientInvalidResponseError",
    "ProductErrorCode",
    "SaleorClient",
    "StockInput",
    "Upload",
    "VariantStocks",
    "VariantStocksProductVariant",
    "VariantStocksProductVariantProduct",
    "VariantStocksProductVariantStocks",
    "VariantStocksProductVariantStocksWarehouse",
    "VariantStocksUpdate",
    "VariantStocksUpdateProductVariantStocksUpdate",
    "VariantStocksUpdateProductVariantStocksUpdateErrors",
    "VariantStocksUpdateProductVariantStocksUpdateProductVariant",
    "VariantStocksUpdateProductVariantStocksUpdateProductVariantStocks",
    "VariantStocksUpdateProductVariantStocksUpdateProductVariantStocksWarehouse",
]

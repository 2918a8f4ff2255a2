from typing import Any, Optional, Union

from .app_id import AppId
from .base_client import BaseClient
from .base_model import UNSET, UnsetType
from .catalogue_products import CatalogueProducts
from .input_types import StockInput
from .variant_stocks import VariantStocks
from .variant_stocks_update import VariantStocksUpdate


def gql(q: str) -> str:
    return q


class SaleorClient(BaseClient):
    def app_id(self, **kwargs: Any) -> AppId:
        query = gql("""
            query AppId {
              app {
                id
              }
            }
            """)
        variables: dict[str, object] = {}
        response = self.execute(
            query=query, operation_name="AppId", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return AppId.model_validate(data)

    def catalogue_products(
        self,
        first: int,
        after: Union[Optional[str], UnsetType] = UNSET,
        channel: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CatalogueProducts:
        query = gql("""
            query CatalogueProducts($first: Int!, $after: String, $channel: String) {
              products(first: $first, after: $after, channel: $channel) {
                pageInfo {
                  hasNextPage
                  endCursor
                }
                edges {
                  node {
                    id
                    name
                    variants {
                      id
                      name
                      sku
                    }
                  }
                }
              }
            }
            """)
        variables: dict[str, object] = {
            "first": first,
            "after": after,
            "channel": channel,
        }
        response = self.execute(
            query=query,
            operation_name="CatalogueProducts",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CatalogueProducts.model_validate(data)

    def variant_stocks(self, id: str, **kwargs: Any) -> VariantStocks:
        query = gql("""
            query VariantStocks($id: ID!) {
              productVariant(id: $id) {
                id
                sku
                name
                product {
                  id
                  name
                }
                stocks {
                  warehouse {
                    id
                    name
                  }
                  quantity
                  quantityAllocated
                }
              }
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = self.execute(
            query=query, operation_name="VariantStocks", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return VariantStocks.model_validate(data)

    def variant_stocks_update(
        self, variant_id: str, stocks: list[StockInput], **kwargs: Any
    ) -> VariantStocksUpdate:
        query = gql("""
            mutation VariantStocksUpdate($variantId: ID!, $stocks: [StockInput!]!) {
              productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
                productVariant {
                  id
                  stocks {
                    warehouse {
                      id
                    }
                    quantity
                    quantityAllocated
                  }
                }
                errors {
                  field
                  code
                  message
                }
              }
            }
            """)
        variables: dict[str, object] = {"variantId": variant_id, "stocks": stocks}
        response = self.execute(
            query=query,
            operation_name="VariantStocksUpdate",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return VariantStocksUpdate.model_validate(data)

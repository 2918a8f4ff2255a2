from .base_model import BaseModel


class StockInput(BaseModel):
    warehouse: str
    "Warehouse in which stock is located."
    quantity: int
    "Quantity of items available for sell."

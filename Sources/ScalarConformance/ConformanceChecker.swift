import Scalars

from linkage import create_app

app = create_app()

from catalogue import create_app

app = create_app()

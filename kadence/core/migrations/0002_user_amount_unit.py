# The user's preferred unit for amounts (yuan, 万, 亿, automatic): kadence.core.amounts.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='amount_unit',
            field=models.CharField(choices=[('yuan', 'Yuan (1,200,000)'), ('wan', 'Ten thousands, 万 (120万)'), ('yi', 'Hundred millions, 亿 (0.12亿)'), ('auto', 'Automatic: 万 and 亿 in Chinese, yuan in English')], default='yuan', help_text='How pages and charts show amounts; exports and the API keep exact numbers.', max_length=4, verbose_name='amounts in'),
        ),
    ]
